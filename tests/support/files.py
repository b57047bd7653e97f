"""Files the tests upload: a small workbook built from headers and rows."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook


def xlsx(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """An .xlsx file with one sheet: a header row, then `rows`."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
