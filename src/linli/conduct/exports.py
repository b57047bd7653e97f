"""Excel exports of the negative list and of breach records, from the scoped selectors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from django.utils import timezone

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.core.timeutil import today
from linli.core.xlsx import write_xlsx

from .models import BreachStage, Severity

ENTRY_HEADERS = ["编号", "条目", "说明", "严重程度", "适用范围", "是否启用"]
BREACH_HEADERS = [
    "编号",
    "代表",
    "所在单位",
    "负面清单条目",
    "严重程度",
    "阶段",
    "发生日期",
    "地点",
    "经过",
    "举报人",
    "群众来源",
    "举报时间",
    "陈述期限",
    "代表陈述",
    "陈述记录人",
    "处理时间",
    "处理理由",
]


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def _fmt(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def entries_xlsx(*, user: Any, qs: Any) -> Export:
    severities = dict(Severity.choices)
    rows = (
        [
            e.code,
            e.title,
            e.description,
            str(severities.get(e.severity, e.severity)),
            e.unit.name if e.unit_id else "全市",
            "是" if e.active else "否",
        ]
        for e in qs
    )
    out, count = write_xlsx(ENTRY_HEADERS, rows, sheet="负面清单", wide=("条目", "说明"))
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_CONDUCT_ENTRIES,
        target_type="conduct.negativeentry",
        detail={"rows": count},
    )
    return Export(f"负面清单-{today().isoformat()}.xlsx", out, count)


def breaches_xlsx(*, user: Any, qs: Any, params: dict[str, Any]) -> Export:
    severities, stages = dict(Severity.choices), dict(BreachStage.choices)
    rows_qs = list(qs.select_related("statement_by")[:100_000])
    rows = (
        [
            b.pk,
            b.representative.name,
            b.unit.name,
            f"{b.entry.code} {b.entry.title}",
            str(severities.get(b.severity, b.severity)),
            str(stages.get(b.stage, b.stage)),
            b.occurred_on.isoformat(),
            b.place,
            b.description,
            b.reported_by.name,
            b.source,
            _fmt(b.reported_at),
            b.respond_by.isoformat(),
            b.statement,
            b.statement_by.name if b.statement_by_id else "",
            _fmt(b.decided_at),
            b.decision_reason,
        ]
        for b in rows_qs
    )
    out, count = write_xlsx(
        BREACH_HEADERS, rows, sheet="违反负面清单记录", wide=("经过", "代表陈述", "处理理由")
    )
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_CONDUCT_BREACHES,
        target_type="conduct.breach",
        detail={"rows": count, "filters": {k: str(v) for k, v in params.items() if v}},
    )
    return Export(f"负面清单记录-{today().isoformat()}.xlsx", out, count)
