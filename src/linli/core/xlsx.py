"""Write-only Excel workbooks for exports: a styled header row, streamed rows,
one sheet or several.

Every cell goes through `cell_value`: what is already stored (a control character
pasted into a description years ago, a lone surrogate) must export, although
openpyxl refuses the characters XML 1.0 cannot hold; and a text that begins with
`=` stays text, never a formula Excel would run.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Sequence
from typing import IO, Any, NamedTuple

# What an .xlsx cannot hold: the C0 controls but tab, newline and carriage return
# (openpyxl's ILLEGAL_CHARACTERS_RE), DEL and the C1 controls (shown as garbage),
# lone surrogates, and the two non-characters U+FFFE/U+FFFF.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Excel's limit on the characters of one cell.
MAX_CELL_CHARS = 32767


def clean_text(value: str) -> str:
    """`value` with the characters a workbook cannot hold replaced by U+FFFD, cut to
    what one cell holds."""
    value = _ILLEGAL.sub("\ufffd", value)
    if len(value) > MAX_CELL_CHARS:
        value = value[: MAX_CELL_CHARS - 1] + "…"
    return value


def cell_value(ws: Any, value: Any) -> Any:
    """What to append for `value` on the write-only sheet `ws`: text cleaned, and a
    text that looks like a formula kept as text."""
    if not isinstance(value, str):
        return value
    value = clean_text(value)
    if value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


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
            cell = WriteOnlyCell(ws, value=clean_text(str(header)))
            cell.font, cell.fill = bold, fill
            head_cells.append(cell)
        ws.append(head_cells)
        count = 0
        for row in sheet.rows:
            ws.append([cell_value(ws, value) for value in row])
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
