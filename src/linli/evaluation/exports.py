"""Excel export of a unit's ranking for a year: one row a representative with the
points of each part; audited. Headers are Chinese whatever the page's language, like
the other exports; points are written as text with two decimals (from integer
hundredths, never floats)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone

from linli.accounts.models import AuditAction, User
from linli.accounts.services import audit_record
from linli.core.xlsx import write_xlsx
from linli.org.models import Unit

from .models import PART_LABELS, PARTS, Score, points_text

PART_HEADERS = {
    "duties": "履职达标",
    "appeals": "诉求办结",
    "ratings": "群众评价",
    "activities": "组织活动",
    "doorbell": "门铃响应",
    "funds": "专项资金使用",
    "training": "培训学时",
}
assert set(PART_HEADERS) == set(PART_LABELS)
HEADERS = [
    "年度",
    "排名",
    "代表",
    "单位",
    "得分",
    *(f"{PART_HEADERS[p]}得分" for p in PARTS),
    "取消资格",
    "评分版本",
    "计算时间",
]


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def ranking_xlsx(
    *, user: User, unit: Unit, year: int, scores: QuerySet[Score], rank_field: str
) -> Export:
    def rows() -> Iterator[list[Any]]:
        for s in scores.select_related("model").iterator(chunk_size=1000):
            yield [
                s.year,
                getattr(s, rank_field) or "",
                s.representative.name,
                s.unit.name,
                points_text(s.total),
                *(
                    "" if s.parts[p]["no_data"] else points_text(s.parts[p]["points"])
                    for p in PARTS
                ),
                "是" if s.excluded else "",
                f"{s.model.year} 第{s.model.version}版",
                timezone.localtime(s.computed_at).strftime("%Y-%m-%d %H:%M"),
            ]

    out, n = write_xlsx(HEADERS, rows(), sheet="考评排名")
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_EVALUATION,
        target_type="evaluation.score",
        detail={"unit": unit.pk, "year": year, "rows": n},
    )
    return Export(f"evaluation-{year}-{timezone.localdate():%Y%m%d}.xlsx", out, n)
