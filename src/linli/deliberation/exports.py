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


def catalogue_xlsx(*, user, unit) -> Export:
    """The catalogue that applies at `unit` (inherited entries included, retired marked)."""
    matters = list(selectors.matters_for(unit, active_only=False))

    def rows():
        for m in matters:
            yield [
                m.code,
                m.title,
                m.description,
                m.unit.name,
                "本级" if m.unit_id == unit.pk else "上级",
                "启用" if m.active else "停用",
            ]

    out, count = write_xlsx(
        ["编码", "事项", "说明", "设立单位", "来源", "状态"],
        rows(),
        sheet="议事清单目录",
        wide=("事项", "说明"),
    )
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_DELIBERATION,
        target=unit,
        detail={"rows": count, "sheet": "catalogue"},
    )
    return Export(f"议事清单目录-{unit.name}.xlsx", out, count)


def skipped_xlsx(*, user) -> Export:
    """The undeliberated decisions the user sees."""
    qs = selectors.skipped_visible_to(user)

    def rows():
        for r in qs.iterator(chunk_size=500):
            yield [
                r.unit.name,
                f"{r.matter.code} {r.matter.title}",
                r.decided,
                r.decided_on.isoformat(),
                r.evidence,
                r.recorded_by.name if r.recorded_by else "",
                _when(r.created_at),
            ]

    out, count = write_xlsx(
        ["村（社区）", "清单事项", "决定的内容", "决定日期", "证据", "记录人", "记录时间"],
        rows(),
        sheet="未经议事的决定",
        wide=("决定的内容", "证据"),
    )
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_DELIBERATION,
        target_type="deliberation.breach",
        detail={"rows": count, "sheet": "skipped"},
    )
    return Export(f"未经议事的决定-{timezone.localdate().isoformat()}.xlsx", out, count)
