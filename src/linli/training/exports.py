"""Excel export of the training hours of a unit's representatives for a year (the same
scoped rows as the hours table, every page of it); audited. Headers are Chinese
whatever the page's language, like the other exports. Minutes are integers; hours
are written as text with one decimal."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone

from linli.accounts.models import AuditAction, User
from linli.accounts.services import audit_record
from linli.core.xlsx import Sheet, write_xlsx_sheets
from linli.org.models import Representative, Unit

from . import selectors
from .models import hours

HEADERS = [
    "年度",
    "代表",
    "单位",
    "任期开始",
    "任期结束",
    "出席场次",
    "学时（小时）",
    "学时（分钟）",
]
CHUNK = 500


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def hours_xlsx(
    *, user: User, representatives: QuerySet[Representative], unit: Unit, year: int
) -> Export:
    def rows() -> Iterator[list[Any]]:
        batch: list[Representative] = []
        for rep in representatives.iterator(chunk_size=CHUNK):
            batch.append(rep)
            if len(batch) == CHUNK:
                yield from _lines(batch)
                batch = []
        yield from _lines(batch)

    def _lines(batch: list[Representative]) -> Iterator[list[Any]]:
        for row in selectors.hours_rows(batch, year):
            r = row.representative
            yield [
                year,
                r.name,
                r.unit.name,
                r.term_start.isoformat(),
                r.term_end.isoformat() if r.term_end else "",
                row.sessions,
                hours(row.minutes),
                row.minutes,
            ]

    out, counts = write_xlsx_sheets([Sheet("培训学时", HEADERS, rows())])
    audit_record(
        actor=user,
        action=AuditAction.EXPORT_TRAINING,
        target=unit,
        detail={"year": year, "rows": counts[0]},
    )
    return Export(f"training-hours-{year}-{timezone.localdate():%Y%m%d}.xlsx", out, counts[0])
