"""Excel export of an appeal list, from the scoped selector; phones masked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.utils import timezone

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.core.masking import mask_phone
from linli.core.timeutil import today
from linli.core.xlsx import write_xlsx
from linli.org.exports import UnitNames

from . import selectors
from .models import CLOCK_STATUSES, Kind, Level, Status, Urgency

HEADERS = [
    "案件编号",
    "类型",
    "类别",
    "标题",
    "状态",
    "当前层级",
    "当前处理单位",
    "来源单位",
    "地址",
    "反映人",
    "手机号",
    "紧急程度",
    "代表",
    "领办人",
    "转办部门",
    "受理时间",
    "办结期限",
    "是否超期",
    "办结时间",
    "办结层级",
    "评价",
    "评价意见",
]


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def _fmt(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def appeals_xlsx(*, user, params: dict, unit=None) -> Export:
    qs = selectors.appeals_filtered(
        user,
        status=params.get("status", ""),
        level=params.get("level", ""),
        kind=params.get("kind", ""),
        q=params.get("q", ""),
        overdue=bool(params.get("overdue")),
        unit=unit,
    ).select_related("category__parent")
    rows_qs = list(qs[:100_000])
    names = UnitNames(a.origin_path for a in rows_qs)
    now = timezone.now()
    kinds, levels = dict(Kind.choices), dict(Level.choices)
    statuses, urgencies = dict(Status.choices), dict(Urgency.choices)

    def rows():
        for a in rows_qs:
            yield [
                a.code,
                str(kinds.get(a.kind, a.kind)),
                str(a.category),
                a.title,
                str(statuses.get(a.status, a.status)),
                str(levels.get(a.level, a.level)),
                a.unit.name,
                names(a.origin_path),
                a.address,
                a.reporter_name,
                mask_phone(a.reporter_phone),
                str(urgencies.get(a.urgency, a.urgency)),
                a.representative.name if a.representative_id else "",
                a.assignee.name if a.assignee_id else "",
                a.department.name if a.department_id else "",
                _fmt(a.created_at),
                _fmt(a.due_at),
                "是" if a.status in CLOCK_STATUSES and a.due_at and a.due_at <= now else "否",
                _fmt(a.resolved_at),
                str(levels.get(a.resolved_level, "")) if a.resolved_level else "",
                a.rating or "",
                a.rating_comment,
            ]

    out, count = write_xlsx(HEADERS, rows(), sheet="诉求", wide=("来源单位", "标题", "地址"))
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_APPEALS,
        target_type="appeals.appeal",
        detail={"rows": count, "filters": {k: str(v) for k, v in params.items() if v}},
    )
    return Export(f"诉求-{today().isoformat()}.xlsx", out, count)
