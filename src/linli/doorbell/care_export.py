"""Excel export of the care register (the same scoped, filtered rows as the page);
audited with EXPORT_DOORBELL. Health notes and contacts' numbers are never exported:
the register is a cadre's list, the notes are for the carers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone

from linli.accounts.models import AuditAction, User
from linli.accounts.services import audit_record
from linli.core.xlsx import write_xlsx

from . import selectors
from .models import CareRecipient

HEADERS = [
    "姓名",
    "单位",
    "住址",
    "关爱类型",
    "关爱等级",
    "结对代表",
    "探访周期(天)",
    "上次探访",
    "下次应探访",
    "逾期天数",
    "登记日期",
]
CHUNK = 500


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def _day(value: Any) -> str:
    return value.isoformat() if value else ""


def care_xlsx(
    *, user: User, recipients: QuerySet[CareRecipient], filters: dict[str, Any]
) -> Export:
    def rows():
        batch: list[CareRecipient] = []
        for r in recipients.iterator(chunk_size=CHUNK):
            batch.append(r)
            if len(batch) >= CHUNK:
                yield from _rows(batch)
                batch = []
        yield from _rows(batch)

    def _rows(batch: list[CareRecipient]):
        statuses = selectors.visit_status_map(batch)
        for r in batch:
            s = statuses.get(r.pk)
            yield [
                r.member.name,
                r.unit.name,
                r.household.address,
                r.get_kind_display(),
                r.get_level_display(),
                s.pairing.primary.name if s else "未结对",
                s.pairing.visit_every_days if s else "",
                _day(s.last_visit) if s else "",
                _day(s.due_on) if s else "",
                s.overdue_days if s else "",
                timezone.localtime(r.created_at).date().isoformat(),
            ]

    out, count = write_xlsx(HEADERS, rows(), sheet="关爱对象", wide=["住址"])
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_DOORBELL,
        target_type="doorbell.carerecipient",
        detail={"rows": count, "filters": filters},
    )
    return Export(f"care-register-{timezone.localdate():%Y%m%d}.xlsx", out, count)
