"""Excel export of the deliberation list, from the scoped selector; audited. Headers are
Chinese whatever the page's language, like the other exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from django.utils import timezone

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.core.xlsx import write_xlsx

from . import selectors
from .models import Source, Stage

HEADERS = [
    "编号",
    "村（社区）",
    "事项",
    "清单类别",
    "来源",
    "阶段",
    "议事会",
    "实到",
    "赞成",
    "反对",
    "弃权",
    "表决结果",
    "决定",
    "提出时间",
    "决定时间",
    "公示至",
]


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def items_xlsx(*, user, params: dict[str, Any]) -> Export:
    qs = selectors.items_filtered(
        user, stage=params.get("stage", ""), unit=params.get("unit"), q=params.get("q", "")
    )

    def rows():
        for item in qs.iterator(chunk_size=500):
            result = "" if item.passed is None else ("通过" if item.passed else "未通过")
            yield [
                item.pk,
                item.unit.name,
                item.title,
                f"{item.matter.code} {item.matter.title}" if item.matter else "",
                str(Source(item.source).label),
                str(Stage(item.stage).label),
                item.meeting.title if item.meeting else "",
                item.present if item.present is not None else "",
                item.votes_for if item.votes_for is not None else "",
                item.votes_against if item.votes_against is not None else "",
                item.votes_abstain if item.votes_abstain is not None else "",
                result,
                item.decision,
                _when(item.created_at),
                _when(item.decided_at),
                _when(item.published_until),
            ]

    out, count = write_xlsx(HEADERS, rows(), sheet="议事清单", wide=("事项", "决定"))
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_DELIBERATION,
        target_type="deliberation.item",
        detail={"rows": count, "stage": params.get("stage", ""), "q": params.get("q", "")},
    )
    return Export(f"议事清单-{timezone.localdate().isoformat()}.xlsx", out, count)
