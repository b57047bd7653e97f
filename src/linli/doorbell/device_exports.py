"""Excel export of the doorbell registry (the list page's filters); audited.
Headers are Chinese whatever the page's language, like the other exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.utils import timezone

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.core.xlsx import Sheet, write_xlsx_sheets

from . import selectors
from .models import DeviceStatus, TaskKind

HEADERS = ["设备编号", "型号", "所属单位", "户主", "住址", "状态", "最后联系", "电量(%)", "待办"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TASK_LABELS = {TaskKind.OFFLINE: "离线", TaskKind.LOW_BATTERY: "电量低"}


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def devices_xlsx(*, user, devices, filters: dict) -> Export:
    def rows():
        for chunk_start in range(0, devices.count(), 2000):
            chunk = list(devices[chunk_start : chunk_start + 2000])
            tasks = selectors.open_task_kinds(chunk)
            for d in chunk:
                yield [
                    d.device_id,
                    d.model_name,
                    d.unit.name,
                    d.household.head_name if d.household else "",
                    d.household.address if d.household else "",
                    "在用" if d.status == DeviceStatus.ACTIVE else "已停用",
                    _local(d.last_seen_at),
                    "" if d.battery is None else d.battery,
                    "、".join(TASK_LABELS.get(k, k) for k in tasks.get(d.pk, [])),
                ]

    out, (count,) = write_xlsx_sheets([Sheet("门铃设备", HEADERS, rows(), ("住址",))])
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_DOORBELL,
        target_type="doorbell.device",
        detail={"rows": count, "filters": filters},
    )
    return Export(f"门铃设备-{timezone.localdate().isoformat()}.xlsx", out, count)
