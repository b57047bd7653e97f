"""Write-only Excel workbooks for exports: a styled header row, streamed rows,
one sheet or several."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from typing import IO, Any, NamedTuple


class Sheet(NamedTuple):
    """One sheet of a workbook: its name, header row, rows and the wide columns."""

    name: str
    headers: list[str]
    rows: Iterable[list[Any]]
    wide: Iterable[str] = ()


def write_xlsx_sheets(
    sheets: Sequence[Sheet | tuple[Any, ...]],
) -> tuple[IO[bytes], list[int]]:
    """Stream each sheet's rows into one temporary .xlsx file, in order; return
    the file (at position 0) and the row count of each sheet.

    A sheet is a `Sheet` or a plain tuple `(name, headers, rows[, wide])`.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="C8161D")
    counts = []
    for spec in sheets:
        sheet = Sheet(*spec)
        wide = set(sheet.wide)
        ws = wb.create_sheet(sheet.name)
        for i, header in enumerate(sheet.headers, start=1):
            ws.column_dimensions[get_column_letter(i)].width = 28 if header in wide else 16
        ws.freeze_panes = "A2"
        head_cells = []
        for header in sheet.headers:
            cell = WriteOnlyCell(ws, value=header)
            cell.font, cell.fill = bold, fill
            head_cells.append(cell)
        ws.append(head_cells)
        count = 0
        for row in sheet.rows:
            ws.append(row)
            count += 1
        counts.append(count)
    out = tempfile.TemporaryFile()
    wb.save(out)
    out.seek(0)
    return out, counts


def write_xlsx(
    headers: list[str],
    rows: Iterable[list[Any]],
    *,
    sheet: str,
    wide: Iterable[str] = (),
) -> tuple[IO[bytes], int]:
    """Stream rows into a temporary .xlsx file; return it (at position 0) and the row count."""
    out, counts = write_xlsx_sheets([Sheet(sheet, headers, rows, wide)])
    return out, counts[0]
