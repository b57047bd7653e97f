"""Excel exports: the benefits issued in a year and the reserve pool (the same scoped,
filtered rows as the pages); audited. Headers are Chinese whatever the page's language,
like the other exports. No mobile or ID number is written."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone

from linli.accounts.models import AuditAction, User
from linli.accounts.services import audit_record
from linli.core.xlsx import write_xlsx

from .models import BenefitIssue, ReserveCandidate, points_text

BENEFIT_HEADERS = [
    "编号",
    "年度",
    "代表",
    "单位",
    "待遇",
    "提供单位",
    "发放日期",
    "凭证号",
    "登记人",
    "状态",
    "撤销原因",
]
RESERVE_HEADERS = [
    "编号",
    "年度",
    "代表",
    "单位",
    "年龄",
    "得分",
    "评分版本",
    "状态",
    "确认人",
    "确认时间",
    "备注",
]


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def _time(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def benefits_xlsx(*, user: User, issues: QuerySet[BenefitIssue], year: int) -> Export:
    def rows() -> Iterator[list[Any]]:
        for i in issues.select_related("representative__unit").iterator(chunk_size=500):
            yield [
                i.pk,
                i.year,
                i.representative.name,
                i.representative.unit.name,
                i.kind.name,
                i.kind.provider,
                i.issued_on.isoformat(),
                i.reference,
                i.issued_by.name if i.issued_by else "",
                "已撤销" if i.revoked_at else "有效",
                i.revoke_reason,
            ]

    out, count = write_xlsx(BENEFIT_HEADERS, rows(), sheet="百佳待遇")
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_HONOURS_BENEFITS,
        target_type="honours.benefitissue",
        detail={"year": year, "rows": count},
    )
    return Export(f"hundred-best-benefits-{year}.xlsx", out, count)


def reserve_xlsx(*, user: User, candidates: QuerySet[ReserveCandidate]) -> Export:
    def rows() -> Iterator[list[Any]]:
        for c in candidates.iterator(chunk_size=500):
            yield [
                c.pk,
                c.year,
                c.representative.name,
                c.representative.unit.name,
                c.age,
                points_text(c.score_total),
                c.score_version,
                c.get_status_display(),
                c.decided_by.name if c.decided_by else "",
                _time(c.decided_at),
                c.note,
            ]

    out, count = write_xlsx(RESERVE_HEADERS, rows(), sheet="后备干部")
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_HONOURS_RESERVE,
        target_type="honours.reservecandidate",
        detail={"rows": count},
    )
    return Export(f"reserve-pool-{timezone.localdate():%Y%m%d}.xlsx", out, count)
