"""Excel export of the service fund for audit: the ledger (the same scoped, filtered
rows as the list page) and the funds of the same year and unit, one sheet each;
audited. Headers are Chinese whatever the page's language, like the other exports.
Amounts are written as yuan with two decimals (text from integer fen, never floats)
and as fen (integers)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from linli.accounts.models import AuditAction, User
from linli.accounts.services import audit_record
from linli.core.xlsx import Sheet, write_xlsx_sheets

from .models import FundAllocation, FundEntry, yuan

ENTRY_HEADERS = [
    "编号",
    "年度",
    "代表",
    "单位",
    "类型",
    "状态",
    "金额（元）",
    "金额（分）",
    "日期",
    "用途",
    "服务户",
    "诉求编号",
    "活动",
    "冲正对象编号",
    "收据照片数",
    "登记时间",
    "审批时间",
    "审批意见",
]
FUND_HEADERS = [
    "年度",
    "代表",
    "单位",
    "拨付（元）",
    "已支出（元）",
    "待审批（元）",
    "余额（元）",
    "拨付（分）",
    "已支出（分）",
    "待审批（分）",
    "余额（分）",
]


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def _time(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def funds_xlsx(
    *,
    user: User,
    entries: QuerySet[FundEntry],
    allocations: QuerySet[FundAllocation],
    filters: dict[str, Any],
) -> Export:
    def entry_rows() -> Iterator[list[Any]]:
        qs = entries.annotate(receipt_n=Count("receipts"))
        for e in qs.iterator(chunk_size=500):
            rep = e.allocation.representative
            yield [
                e.pk,
                e.allocation.year,
                rep.name,
                rep.unit.name,
                e.get_kind_display(),
                e.get_status_display(),
                yuan(-e.amount_fen if e.kind == "reversal" else e.amount_fen),
                -e.amount_fen if e.kind == "reversal" else e.amount_fen,
                e.day.isoformat(),
                e.purpose,
                e.household.head_name if e.household_id and e.household else "",
                e.appeal.code if e.appeal_id and e.appeal else "",
                e.activity.title if e.activity_id and e.activity else "",
                e.reverses_id or "",
                getattr(e, "receipt_n", 0),
                _time(e.created_at),
                _time(e.decided_at),
                e.decision_note,
            ]

    def fund_rows() -> Iterator[list[Any]]:
        for a in allocations.iterator(chunk_size=500):
            yield [
                a.year,
                a.representative.name,
                a.representative.unit.name,
                yuan(a.amount_fen),
                yuan(a.spent_fen),
                yuan(a.pending_fen),
                yuan(a.balance_fen),
                a.amount_fen,
                a.spent_fen,
                a.pending_fen,
                a.balance_fen,
            ]

    out, counts = write_xlsx_sheets(
        [
            Sheet("台账", ENTRY_HEADERS, entry_rows(), ["用途", "审批意见"]),
            Sheet("资金", FUND_HEADERS, fund_rows()),
        ]
    )
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_FUNDS,
        target_type="funds.fundentry",
        detail={"entries": counts[0], "funds": counts[1], "filters": filters},
    )
    return Export(f"service-fund-{timezone.localdate():%Y%m%d}.xlsx", out, counts[0])
