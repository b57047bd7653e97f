"""Write-only Excel workbooks for exports: a styled header row, streamed rows."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from typing import IO, Any


def write_xlsx(
    headers: list[str],
    rows: Iterable[list[Any]],
    *,
    sheet: str,
    wide: Iterable[str] = (),
) -> tuple[IO[bytes], int]:
    """Stream rows into a temporary .xlsx file; return it (at position 0) and the row count."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wide = set(wide)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    for i, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 28 if header in wide else 16
    ws.freeze_panes = "A2"
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="C8161D")
    head_cells = []
    for header in headers:
        cell = WriteOnlyCell(ws, value=header)
        cell.font, cell.fill = bold, fill
        head_cells.append(cell)
    ws.append(head_cells)
    count = 0
    for row in rows:
        ws.append(row)
        count += 1
    out = tempfile.TemporaryFile()
    wb.save(out)
    out.seek(0)
    return out, count
