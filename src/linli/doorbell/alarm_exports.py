"""Excel exports of the alarms (the panel's filtered rows) and of the response figures;
audited. Headers are Chinese whatever the page's language, like the other exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone

from linli.accounts.models import AuditAction, User
from linli.accounts.services import audit_record
from linli.core.xlsx import Sheet, write_xlsx, write_xlsx_sheets

from . import policy
from .models import Alarm
from .selectors import Figures

ALARM_HEADERS = [
    "编号",
    "门铃",
    "户",
    "地址",
    "单位",
    "状态",
    "按铃时间",
    "响应时间",
    "响应人",
    "到达时间",
    "到达人",
    "关闭时间",
    "结果",
    "说明",
    "升级步数",
    "诉求",
]
FIGURE_HEADERS = [
    "名称",
    "告警",
    "已响应",
    "响应中位数(秒)",
    "响应P90(秒)",
    "到达中位数(秒)",
    "结对代表响应占比",
    "升级",
]


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def _time(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _name(user: Any) -> str:
    return user.name if user is not None else ""


def alarms_xlsx(*, user: User, alarms: QuerySet[Alarm], filters: dict[str, Any]) -> Export:
    # The note written at closing may describe a health problem: only for those who may
    # read it (policy.outcome_note_reader); the others get the outcome category only.
    note = policy.outcome_note_reader(user)

    def rows():
        for a in alarms.iterator(chunk_size=500):
            yield [
                a.pk,
                a.device.device_id if a.device_id else "",
                a.household.head_name,
                a.household.address,
                a.unit.name,
                a.get_status_display(),
                _time(a.raised_at),
                _time(a.acknowledged_at),
                _name(a.acknowledged_by),
                _time(a.arrived_at),
                _name(a.arrived_by),
                _time(a.closed_at),
                a.get_outcome_display() if a.outcome else "",
                a.outcome_note if note(a) else "",
                a.step,
                a.appeal.code if a.appeal_id else "",
            ]

    out, count = write_xlsx(ALARM_HEADERS, rows(), sheet="告警", wide=["地址", "说明"])
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_DOORBELL,
        target_type="doorbell.alarm",
        detail={"rows": count, "filters": filters},
    )
    return Export(f"doorbell-alarms-{timezone.localdate():%Y%m%d}.xlsx", out, count)


def _figure_row(label: str, f: Figures) -> list[Any]:
    def sec(v):
        return round(v) if v is not None else ""

    return [
        label,
        f.alarms,
        f.acknowledged,
        sec(f.ack_median),
        sec(f.ack_p90),
        sec(f.arrive_median),
        f"{f.primary_share:.0%}" if f.primary_share is not None else "",
        f.escalated,
    ]


def figures_xlsx(*, user: User, figures: dict[str, Any], filters: dict[str, Any]) -> Export:
    units = [_figure_row("合计", figures["total"])] + [
        _figure_row(r.label, r.figures) for r in figures["units"]
    ]
    reps = [_figure_row(r.label, r.figures) for r in figures["representatives"]]
    out, counts = write_xlsx_sheets(
        [
            Sheet("按单位", FIGURE_HEADERS, units, ["名称"]),
            Sheet("按代表", FIGURE_HEADERS, reps, ["名称"]),
        ]
    )
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_DOORBELL,
        target_type="doorbell.figures",
        detail={"rows": sum(counts), "filters": filters},
    )
    return Export(f"doorbell-figures-{timezone.localdate():%Y%m%d}.xlsx", out, sum(counts))
