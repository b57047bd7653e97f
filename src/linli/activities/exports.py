"""Excel export of the activities list (the same scoped, filtered rows as the page);
audited. Headers are Chinese whatever the page's language, like the other exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone

from linli.accounts.models import AuditAction, User
from linli.accounts.services import audit_record
from linli.core.xlsx import write_xlsx

from .models import Activity

HEADERS = [
    "活动",
    "类型",
    "单位",
    "地点",
    "开始时间",
    "结束时间",
    "服务日",
    "组织代表",
    "守心团",
    "名额",
    "已报名",
    "到场人数",
    "状态",
    "成效",
]


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def _time(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def activities_xlsx(
    *, user: User, activities: QuerySet[Activity], filters: dict[str, Any]
) -> Export:
    def rows():
        for a in activities.iterator(chunk_size=500):
            yield [
                a.title,
                a.get_kind_display(),
                a.unit.name,
                a.place,
                _time(a.starts_at),
                _time(a.ends_at),
                "是" if a.on_service_day else "否",
                "、".join(r.name for r in a.organisers.all()),
                "、".join(t.name for t in a.guard_teams.all()),
                a.capacity if a.capacity is not None else "不限",
                a.signed_up,
                a.attended_n + a.walk_ins,
                a.get_status_display(),
                a.outcome,
            ]

    out, count = write_xlsx(HEADERS, rows(), sheet="活动", wide=["活动", "地点", "成效"])
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_ACTIVITIES,
        target_type="activities.activity",
        detail={"rows": count, "filters": filters},
    )
    return Export(f"activities-{timezone.localdate():%Y%m%d}.xlsx", out, count)
