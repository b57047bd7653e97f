"""Import of the organisation from .xlsx or .csv files: all rows or none.

Every row is checked first (with the same rules as the services and the
importing user's scope); each bad cell is reported as (row number as shown in
the spreadsheet, column header, reason). If any row is bad nothing is
written. Otherwise every row is written in one transaction, with bulk inserts
where the service would only insert, and one audit row for the whole import.

The column headers are part of the file format, not of the user interface:
they are fixed Chinese strings, kept here as constants and never translated.

Units are referenced by their full name path from the top ("浏阳市/大瑶镇/李畋村/一片/一组"),
by that path or a tail of it with the areas left out ("李畋村/一组") when exactly one
unit fits, or by their division code; see `UnitIndex`. Households
are referenced by their number (户编号, shown in the exports) or by unit, head
of household and address. Residents and representatives are referenced by ID
card number. A place names the representative who covers it by name and/or mobile
number; a guard team file has one row per member, grouped into teams by unit and name.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.cn import ric

from linli.accounts.models import AuditAction, Role, RoleAssignment, User
from linli.accounts.scope import LINK_WRITE_ROLES, ORG_WRITE_ROLES, scope_for
from linli.accounts.selectors import bindable_accounts, users_by_phones
from linli.accounts.services import audit_record
from linli.core import hooks
from linli.core.errors import InvalidInput
from linli.core.timeutil import today
from linli.core.validators import normalize_id_number, normalize_mobile

from . import selectors, services
from .models import (
    KIND_RANK,
    STEPLEN,
    GuardTeam,
    GuardTeamMember,
    Household,
    HouseholdLink,
    HouseholdTag,
    Member,
    MemberKind,
    Place,
    PlaceKind,
    Relation,
    Representative,
    Sex,
    Unit,
    UnitKind,
    ancestor_paths_of,
    encode_step,
)

# --- the file format -------------------------------------------------------------

H_PARENT = "上级单位"
H_KIND = "类型"
H_NAME = "名称"
H_CODE = "区划代码"
H_UNIT = "所属单位"
H_HEAD = "户主姓名"
H_ADDRESS = "地址"
H_TAGS = "标签"
H_LAT = "纬度"
H_LON = "经度"
H_HOUSEHOLD = "户编号"
H_PERSON = "姓名"
H_SEX = "性别"
H_BIRTH = "出生日期"
H_RELATION = "与户主关系"
H_ID_NUMBER = "身份证号"
H_PHONE = "手机号"
H_REP_UNIT = "服务单位"
H_TERM_START = "任期开始"
H_REP_ID_NUMBER = "代表身份证号"
H_FROM = "起始日期"
H_REASON = "原因"
H_SERVING = "服务代表"
H_SERVING_PHONE = "代表手机号"
H_PLACE_KIND = "场所类型"
H_PLACE_NAME = "场所名称"
H_TEAM = "守心团名称"
H_MEMBER_KIND = "成员类型"

UNIT_KIND_NAMES = {
    "市": UnitKind.CITY,
    "县级市": UnitKind.CITY,
    "县": UnitKind.CITY,
    "乡镇": UnitKind.TOWN,
    "镇": UnitKind.TOWN,
    "乡": UnitKind.TOWN,
    "街道": UnitKind.SUBDISTRICT,
    "村": UnitKind.VILLAGE,
    "社区": UnitKind.COMMUNITY,
    "片": UnitKind.AREA,
    "片区": UnitKind.AREA,
    "组": UnitKind.GROUP,
    "小组": UnitKind.GROUP,
}
# The one Chinese name each kind is exported with.
UNIT_KIND_LABELS = {
    UnitKind.CITY: "市",
    UnitKind.TOWN: "乡镇",
    UnitKind.SUBDISTRICT: "街道",
    UnitKind.VILLAGE: "村",
    UnitKind.COMMUNITY: "社区",
    UnitKind.AREA: "片",
    UnitKind.GROUP: "组",
}
TAG_LABELS = {
    HouseholdTag.ELDERLY_ALONE: "独居老人",
    HouseholdTag.LOW_INCOME: "低保",
    HouseholdTag.DISABLED: "残疾",
    HouseholdTag.VETERAN: "退役军人",
    HouseholdTag.LEFT_BEHIND_CHILD: "留守儿童",
    HouseholdTag.POVERTY_MONITORED: "防返贫监测",
}
RELATION_LABELS = {
    Relation.HEAD: "户主",
    Relation.SPOUSE: "配偶",
    Relation.CHILD: "子女",
    Relation.PARENT: "父母",
    Relation.GRANDCHILD: "孙子女",
    Relation.OTHER: "其他",
}
SEX_LABELS = {Sex.MALE: "男", Sex.FEMALE: "女"}
PLACE_KIND_LABELS = {
    PlaceKind.BUILDING: "楼宇",
    PlaceKind.SCHOOL: "学校",
    PlaceKind.HOSPITAL: "医院",
    PlaceKind.ENTERPRISE: "企业",
    PlaceKind.OTHER: "其他",
}
MEMBER_KIND_LABELS = {
    MemberKind.PARTY_REP: "党代表",
    MemberKind.NPC_DEPUTY: "人大代表",
    MemberKind.CPPCC_MEMBER: "政协委员",
    MemberKind.WOMEN_REP: "妇女代表",
    MemberKind.ENTREPRENEUR: "致富带头人",
    MemberKind.VOLUNTEER: "志愿者",
}
TAG_SEPARATORS = re.compile(r"[、,，;；|/\s]+")

# A made-up but valid ID number for the example rows.
_EXAMPLE_ID_BODY = "43018119900101123"
EXAMPLE_ID_NUMBER = _EXAMPLE_ID_BODY + ric.calc_check_digit(_EXAMPLE_ID_BODY + "0")


@dataclass(frozen=True)
class Column:
    header: str
    required: bool
    help: Any  # lazily translated text for the 说明 sheet and the page
    example: str = ""
    values: str = ""  # allowed values, as data (Chinese)
    as_text: bool = False  # long digit strings: formatted as text in the template


@dataclass(frozen=True)
class Kind:
    key: str
    label: Any
    columns: tuple[Column, ...]
    note: Any = ""

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


_UNIT_REF_HELP = gettext_lazy(
    "A unit: its full name path from the top (浏阳市/大瑶镇/李畋村/一片/一组); the same path without the area (浏阳市/大瑶镇/李畋村/一组) or an end of it (李畋村/一组) when only one unit fits; or its 12-digit division code."
)
_HOUSEHOLD_NO_HELP = gettext_lazy(
    "The household number from the household export. Leave empty to find the household by unit, head of household and address."
)

KINDS: dict[str, Kind] = {
    "units": Kind(
        "units",
        gettext_lazy("Units"),
        (
            Column(
                H_PARENT,
                False,
                gettext_lazy("The parent unit. Empty only for a top-level unit.")
                + " "
                + _UNIT_REF_HELP,
                "浏阳市/大瑶镇/李畋村",
            ),
            Column(
                H_KIND,
                True,
                gettext_lazy("Kind of unit."),
                "组",
                "、".join(UNIT_KIND_LABELS.values()),
            ),
            Column(H_NAME, True, gettext_lazy("Name, unique under the parent."), "二组"),
            Column(
                H_CODE, False, gettext_lazy("Division code of 6, 9 or 12 digits."), "", "", True
            ),
        ),
        gettext_lazy("A parent must be above its children in the file."),
    ),
    "households": Kind(
        "households",
        gettext_lazy("Households"),
        (
            Column(H_UNIT, True, _UNIT_REF_HELP, "浏阳市/大瑶镇/李畋村/二组"),
            Column(H_HEAD, True, gettext_lazy("Name of the head of household."), "李建国"),
            Column(H_ADDRESS, True, gettext_lazy("Address."), "李畋村二组8号"),
            Column(
                H_TAGS,
                False,
                gettext_lazy("Tags, separated by 、 or commas."),
                "独居老人",
                "、".join(TAG_LABELS.values()),
            ),
            Column(H_LAT, False, gettext_lazy("Latitude in degrees."), "28.151234"),
            Column(H_LON, False, gettext_lazy("Longitude in degrees."), "113.828765"),
        ),
        gettext_lazy("A household with the same unit, head and address must not exist yet."),
    ),
    "members": Kind(
        "members",
        gettext_lazy("Household members"),
        (
            Column(H_HOUSEHOLD, False, _HOUSEHOLD_NO_HELP, "", "", True),
            Column(H_UNIT, False, _UNIT_REF_HELP, "浏阳市/大瑶镇/李畋村/二组"),
            Column(H_HEAD, False, gettext_lazy("Head of the household."), "李建国"),
            Column(H_ADDRESS, False, gettext_lazy("Address of the household."), "李畋村二组8号"),
            Column(H_PERSON, True, gettext_lazy("Name of the member."), "李建国"),
            Column(
                H_SEX,
                False,
                gettext_lazy("Taken from the ID card number if empty."),
                "男",
                "男、女",
            ),
            Column(
                H_BIRTH,
                False,
                gettext_lazy("Date as 2025-01-31. Taken from the ID card number if empty."),
            ),
            Column(
                H_RELATION,
                False,
                gettext_lazy("Relation to the head of household."),
                "户主",
                "、".join(RELATION_LABELS.values()),
            ),
            Column(
                H_ID_NUMBER,
                False,
                gettext_lazy("18-character resident ID card number; format the cell as text."),
                EXAMPLE_ID_NUMBER,
                "",
                True,
            ),
            Column(H_PHONE, False, gettext_lazy("Mobile number."), "13800138000", "", True),
        ),
    ),
    "representatives": Kind(
        "representatives",
        gettext_lazy("Representatives"),
        (
            Column(
                H_ID_NUMBER,
                True,
                gettext_lazy("ID card number of a registered household member."),
                EXAMPLE_ID_NUMBER,
                "",
                True,
            ),
            Column(
                H_PERSON, False, gettext_lazy("If given, must match the member's name."), "李建国"
            ),
            Column(
                H_REP_UNIT,
                True,
                gettext_lazy(
                    "The unit (usually a group) the representative serves, in their own village."
                )
                + " "
                + _UNIT_REF_HELP,
                "浏阳市/大瑶镇/李畋村/二组",
            ),
            Column(
                H_TERM_START,
                False,
                gettext_lazy("Date as 2025-01-31; today if empty."),
                "2025-01-01",
            ),
        ),
    ),
    "links": Kind(
        "links",
        gettext_lazy("Household links"),
        (
            Column(H_HOUSEHOLD, False, _HOUSEHOLD_NO_HELP, "", "", True),
            Column(H_UNIT, False, _UNIT_REF_HELP, "浏阳市/大瑶镇/李畋村/二组"),
            Column(H_HEAD, False, gettext_lazy("Head of the household."), "李建国"),
            Column(H_ADDRESS, False, gettext_lazy("Address of the household."), "李畋村二组8号"),
            Column(
                H_REP_ID_NUMBER,
                True,
                gettext_lazy("ID card number of a serving representative of the same village."),
                EXAMPLE_ID_NUMBER,
                "",
                True,
            ),
            Column(
                H_FROM, False, gettext_lazy("Date as 2025-01-31; today if empty."), "2025-01-01"
            ),
            Column(
                H_REASON,
                False,
                gettext_lazy(
                    "Required when a representative would end up outside 5-15 households; such links are flagged."
                ),
                "新设小组,联户待补足",
            ),
        ),
        gettext_lazy(
            "Each row links the household to the representative from the date, ending its current link."
        ),
    ),
    "places": Kind(
        "places",
        gettext_lazy("Places"),
        (
            Column(H_UNIT, True, _UNIT_REF_HELP, "浏阳市/大瑶镇/李畋村/二组"),
            Column(
                H_PLACE_KIND,
                True,
                gettext_lazy("Kind of place."),
                "学校",
                "、".join(PLACE_KIND_LABELS.values()),
            ),
            Column(H_PLACE_NAME, True, gettext_lazy("Name, unique in the unit."), "李畋村小学"),
            Column(H_ADDRESS, False, gettext_lazy("Address."), "李畋村二组8号"),
            Column(
                H_SERVING,
                False,
                gettext_lazy(
                    "Name of the serving representative of the same village who covers the place; empty if none yet."
                ),
            ),
            Column(
                H_SERVING_PHONE,
                False,
                gettext_lazy(
                    "Mobile number of that representative: names them alone, or tells apart two of the same name."
                ),
                "",
                "",
                True,
            ),
        ),
        gettext_lazy("A place with the same unit and name must not exist yet."),
    ),
    "teams": Kind(
        "teams",
        gettext_lazy("Guard teams"),
        (
            Column(H_UNIT, True, _UNIT_REF_HELP, "浏阳市/大瑶镇/李畋村/二组"),
            Column(
                H_TEAM,
                True,
                gettext_lazy(
                    "Name of the guard team. Rows with the same unit and team name fill one team; a team that exists already gets the members added."
                ),
                "李畋村邻里守心团",
            ),
            Column(
                H_MEMBER_KIND,
                False,
                gettext_lazy(
                    "Kind of member. Leave the member columns empty to create only the team."
                ),
                "志愿者",
                "、".join(MEMBER_KIND_LABELS.values()),
            ),
            Column(H_PERSON, False, gettext_lazy("Name of the member."), "李志愿"),
            Column(H_PHONE, False, gettext_lazy("Mobile number."), "13800138000", "", True),
        ),
        gettext_lazy("One row per team member; the team is created once."),
    ),
}

IMPORT_MAX_BYTES = 30 * 1024 * 1024
# No column needs more (the longest, an address, has 200); longer is a pasted mistake.
CELL_MAX_CHARS = 500


# --- results -------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int | None  # the row number shown in the spreadsheet; None for the whole file
    column: str
    message: str


@dataclass
class ImportResult:
    kind: str
    filename: str
    rows: int = 0
    created: int = 0
    ended: int = 0  # links: current links ended by the import
    unchanged: int = 0  # links: rows that were already so
    flagged: int = 0  # links: flagged outside 5-15
    teams: int = 0  # teams: teams created (created counts the members added)
    accounts: int = 0  # representatives: login accounts created
    errors: list[RowError] = field(default_factory=list)
    file_problem: str = ""  # the file as a whole could not be read (also in errors)

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "ended": self.ended,
            "unchanged": self.unchanged,
            "flagged": self.flagged,
            **({"teams": self.teams} if self.kind == "teams" else {}),
            **({"accounts": self.accounts} if self.kind == "representatives" else {}),
        }


class ImportFileError(InvalidInput):
    code = "import_file"


# --- reading files --------------------------------------------------------------------

_BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
    b"BM",
    b"MZ",
    b"\x7fELF",
)
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
Row = tuple[int, dict[str, Any]]


def _not_a_table() -> ImportFileError:
    return ImportFileError(
        _("This file is not an Excel (.xlsx) or CSV file. Please use the template."),
        code="import_not_table",
    )


def _cell(value: Any) -> Any:
    """Normalise a cell: text stripped, integral numbers without '.0', dates kept."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return str(value).replace("\u00a0", " ").replace("\ufeff", "").strip()


def _xlsx_rows(data: bytes, limit: int) -> Iterator[tuple[int, list[Any]]]:
    from python_calamine import CalamineWorkbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except zipfile.BadZipFile:
        raise _not_a_table() from None
    if "xl/workbook.xml" not in names:
        raise _not_a_table()
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = wb.get_sheet_by_index(0)
        start = sheet.start[0] if sheet.start else 0
        if sheet.height > limit + 2:
            raise _too_many_rows(limit)
        rows = list(sheet.iter_rows())
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError(
            _("The Excel file could not be read. Save it again as .xlsx and retry."),
            code="import_unreadable",
        ) from None
    for i, values in enumerate(rows):
        yield start + i + 1, values


def _looks_binary(text: str) -> bool:
    """NUL, or more than a stray control character: bytes, not typed text."""
    sample = text[:65536]
    return "\x00" in sample or len(_CONTROL.findall(sample)) > max(2, len(sample) // 100)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text": UTF-16 with a byte-order mark, tab separated.
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_a_table() from None
        if _looks_binary(text):
            raise _not_a_table()
        return text.lstrip("\ufeff")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            break
        return text
    raise _not_a_table()


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(data)
    # A long cell is a row error (see check_cells), not a reason to refuse the file;
    # the reader's own limit (128 KB a cell) would refuse it. Bounded by the file size.
    if csv.field_size_limit() < IMPORT_MAX_BYTES:
        csv.field_size_limit(IMPORT_MAX_BYTES)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        for i, values in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)):
            yield i + 1, values
    except csv.Error:
        raise _not_a_table() from None


def _too_many_rows(limit: int) -> ImportFileError:
    return ImportFileError(
        _("The file has more than %(n)d rows; split it into smaller files.") % {"n": limit},
        code="import_too_many_rows",
    )


def _normal_header(value: Any) -> str:
    text = str(_cell(value))
    return re.sub(r"[\s*＊]|（必填）|\(必填\)", "", text)


def read_table(data: bytes, kind: Kind, filename: str = "") -> list[Row]:
    """Rows of the first sheet as (row number, {header: value}); header in the first row.

    A file that is not a spreadsheet (a picture, a PDF, an empty file, text named
    .xlsx, a page of text without columns) is refused as such, not for its headers.
    """
    limit = settings.LINLI["IMPORT_MAX_ROWS"]
    if not data.strip():
        raise ImportFileError(
            _(
                "This file is empty: it is not an Excel (.xlsx) or CSV file. Please use the template."
            ),
            code="import_empty",
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _("Old Excel .xls files are not supported; save the file as .xlsx."),
            code="import_xls",
        )
    is_text = False
    if data.startswith(b"PK\x03\x04"):
        source = _xlsx_rows(data, limit)
    elif any(data.startswith(m) for m in _BINARY_MAGIC):
        raise _not_a_table()
    elif filename.lower().endswith(EXCEL_SUFFIXES):
        # Named like a workbook but not one (a renamed text file, a broken download).
        raise _not_a_table()
    else:
        source, is_text = _csv_rows(data), True
    header: dict[int, str] | None = None
    rows: list[Row] = []
    known = set(kind.headers)
    for number, values in source:
        if header is None:
            if not any(str(_cell(v)) for v in values):
                continue  # blank lines above the headers
            header = {i: h for i, v in enumerate(values) if (h := _normal_header(v)) in known}
            if not header and is_text and len(values) < 2:
                # Text without a single column separator in its first line: not a table.
                raise _not_a_table()
            if not header:
                raise ImportFileError(
                    _("The first row must hold the column headers of the template: %(cols)s")
                    % {"cols": "、".join(kind.headers)},
                    code="import_header",
                )
            missing = [
                c.header for c in kind.columns if c.required and c.header not in header.values()
            ]
            if missing:
                raise ImportFileError(
                    _("Columns missing: %(cols)s") % {"cols": "、".join(missing)},
                    code="import_header",
                )
            continue
        cells = {h: _cell(values[i]) if i < len(values) else "" for i, h in header.items()}
        if not any(v != "" for v in cells.values()):
            continue
        rows.append((number, cells))
        if len(rows) > limit:
            raise _too_many_rows(limit)
    if header is None:
        raise ImportFileError(_("The file is empty."), code="import_empty")
    return rows


# --- references ---------------------------------------------------------------------

# Levels a unit path may leave out: a village's areas (片) are an internal grouping
# that cadres often skip, writing 李畋村/一组 for 李畋村/一片/一组.
OPTIONAL_KINDS = frozenset({UnitKind.AREA})
# How many near matches an error names, and for how many distinct unknown units of
# one file they are looked for (each search walks part of the tree).
NEAR_SHOWN = 5
NEAR_SEARCHES = 200
# How much of a cell an error message repeats.
KEY_SHOWN = 60


@dataclass(eq=False)
class UnitRef:
    id: int | None
    path: str
    depth: int
    kind: str
    name: str
    code: str
    full_name: str
    parent: UnitRef | None = None
    obj: Unit | None = None  # set when a new unit is written
    # (name, kind) from the top down to the unit itself; filled by UnitIndex.add
    chain: tuple[tuple[str, str], ...] = ()


def normalize_unit_key(value: Any) -> str:
    text = str(_cell(value))
    parts = [p.strip() for p in re.split(r"[/／\\>＞]", text)]
    return "/".join(p for p in parts if p)


def shown(value: Any) -> str:
    """A cell as an error message may repeat it: no control characters, not too long."""
    text = _CONTROL.sub("?", str(value))
    return text if len(text) <= KEY_SHOWN else text[:KEY_SHOWN] + "…"


def unit_keys(chain: tuple[tuple[str, str], ...]) -> set[str]:
    """Every name path that names the unit of `chain`: each end of its full path, with
    or without each optional level above it (the unit's own name always ends it)."""
    *above, (own, _kind) = chain
    optional = [i for i, (_n, kind) in enumerate(above) if kind in OPTIONAL_KINDS][:3]
    keys: set[str] = set()
    for mask in range(1 << len(optional)):
        dropped = {optional[b] for b in range(len(optional)) if mask >> b & 1}
        names = [n for i, (n, _k) in enumerate(above) if i not in dropped] + [own]
        keys.update("/".join(names[k:]) for k in range(len(names)))
    return keys


def _code_variants(code: str) -> list[str]:
    """A division code as written and as stored: 430181110000 is also 430181110."""
    out = [code]
    if len(code) == 12:
        out += [code[:9]] if code[9:] == "000" else []
        out += [code[:6]] if code[6:] == "000000" else []
    elif len(code) in (6, 9):
        out.append(code.ljust(12, "0"))
    return out


class UnitIndex:
    """Units the user sees, found by full name path, by a path that leaves out the
    levels above it or optional levels (areas) in it, or by division code."""

    def __init__(self, user) -> None:
        scope = scope_for(user)
        rows: list[tuple[int | None, str, str, str, str]] = list(
            selectors.units_visible_to(user)
            .order_by("path")
            .values_list("id", "path", "kind", "name", "code")
        )
        visible = {r[1] for r in rows}
        above = {a for p in scope.unit_paths for a in ancestor_paths_of(p)[:-1]} - visible
        # The units above the user's scope only lend their names to the paths.
        outside = (
            [
                (None, path, kind, name, "")
                for path, kind, name in Unit.objects.filter(path__in=above).values_list(
                    "path", "kind", "name"
                )
            ]
            if above
            else []
        )
        self.by_full: dict[str, list[UnitRef]] = defaultdict(list)
        self.by_code: dict[str, list[UnitRef]] = defaultdict(list)
        self.by_key: dict[str, list[UnitRef]] = defaultdict(list)
        self.by_name: dict[str, list[UnitRef]] = defaultdict(list)
        self.by_id: dict[int, UnitRef] = {}
        self.children: dict[int, list[UnitRef]] = defaultdict(list)
        self._near_searches = 0
        by_path: dict[str, UnitRef] = {}
        for pk, path, kind, name, code in sorted(outside + rows, key=lambda r: r[1]):
            parent = by_path.get(path[:-STEPLEN])
            full = f"{parent.full_name}/{name}" if parent else name
            ref = UnitRef(pk, path, len(path) // STEPLEN, kind, name, code, full, parent)
            by_path[path] = ref
            if pk is None:
                ref.chain = (parent.chain if parent else ()) + ((name, kind),)
            else:
                self.add(ref)

    def add(self, ref: UnitRef) -> None:
        if not ref.chain:
            ref.chain = (ref.parent.chain if ref.parent else ()) + ((ref.name, ref.kind),)
        self.by_full[ref.full_name].append(ref)
        if ref.code:
            self.by_code[ref.code].append(ref)
        if ref.id is not None:
            self.by_id[ref.id] = ref
        for key in unit_keys(ref.chain):
            self.by_key[key].append(ref)
        self.by_name[ref.name].append(ref)
        if ref.parent is not None:
            self.children[id(ref.parent)].append(ref)

    def lookup(self, key: str) -> list[UnitRef]:
        """Every unit `key` (normalised) may name: the full path wins over shorter forms."""
        if key in self.by_full:
            return self.by_full[key]
        if key.isdigit():
            for code in _code_variants(key):
                if code in self.by_code:
                    return self.by_code[code]
        return self.by_key.get(key, [])

    def resolve(self, value: Any) -> tuple[UnitRef | None, str | None]:
        """The unit, or None and the reason (None if the cell is empty)."""
        key = normalize_unit_key(value)
        if not key:
            return None, None
        hits = self.lookup(key)
        if len(hits) == 1:
            return hits[0], None
        if hits:
            return None, _(
                "%(unit)s could be any of: %(units)s. Give the full path or the division code."
            ) % {"unit": shown(key), "units": self._listed(sorted(hits, key=lambda r: r.path))}
        near = self.near(key)
        if near:
            return None, _("Unknown unit: %(unit)s. Close matches: %(units)s.") % {
                "unit": shown(key),
                "units": self._listed(near),
            }
        return None, _("Unknown unit: %(unit)s") % {"unit": shown(key)}

    def _listed(self, refs: list[UnitRef]) -> str:
        names = list(dict.fromkeys(r.full_name for r in refs))
        more = "、…" if len(names) > NEAR_SHOWN else ""
        return "、".join(names[:NEAR_SHOWN]) + more

    def _under(self, ref: UnitRef, anchor: UnitRef) -> bool:
        node = ref.parent
        while node is not None:
            if node is anchor:
                return True
            node = node.parent
        return False

    def _subtree(self, anchor: UnitRef, limit: int = 5000) -> list[UnitRef]:
        out: list[UnitRef] = []
        todo = list(self.children.get(id(anchor), ()))
        while todo and len(out) < limit:
            ref = todo.pop()
            out.append(ref)
            todo.extend(self.children.get(id(ref), ()))
        return out

    def near(self, key: str) -> list[UnitRef]:
        """Units a key that names none almost names: units of the same name under the
        deepest unit the key does name (widened from an area to its village), then the
        closest names there, then units of the same name elsewhere."""
        if key.isdigit() or len(key) > 200 or self._near_searches >= NEAR_SEARCHES:
            return []
        self._near_searches += 1
        parts = key.split("/")
        last = parts[-1]
        anchor = None
        for n in range(len(parts) - 1, 0, -1):
            hits = self.lookup("/".join(parts[:n]))
            if len(hits) == 1:
                anchor = hits[0]
                break
        same = self.by_name.get(last, [])
        found: list[UnitRef] = []
        if anchor is not None:
            # The same name in another area of the village comes first.
            village = anchor
            while village.kind in OPTIONAL_KINDS and village.parent is not None:
                village = village.parent
            found += [r for r in same if self._under(r, village)]
            pool: dict[str, list[UnitRef]] = defaultdict(list)
            for ref in self._subtree(anchor):
                pool[ref.name].append(ref)
            close = difflib.get_close_matches(last, list(pool), n=NEAR_SHOWN, cutoff=0.5)
            score = {n: difflib.SequenceMatcher(None, last, n).ratio() for n in close}
            found += sorted(
                (r for n in close for r in pool[n]), key=lambda r: (-score[r.name], r.path)
            )
        found += same
        out: list[UnitRef] = []
        for ref in found:
            if all(ref is not r for r in out):
                out.append(ref)
        return out[: NEAR_SHOWN + 1]


def _chunks(items: Iterable, size: int = 2000) -> Iterator[list]:
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class HouseholdRef:
    id: int
    unit_id: int
    path: str
    depth: int


class _Context:
    def __init__(self, actor, kind: Kind, rows: list[Row]) -> None:
        self.actor = actor
        self.kind = kind
        self.rows = rows
        self.scope = scope_for(actor)
        self.errors: list[RowError] = []
        self._units: UnitIndex | None = None
        # Cells already reported as unusable: later checks of them would only repeat it.
        self.spoilt: set[tuple[int | None, str]] = set()

    @property
    def units(self) -> UnitIndex:
        if self._units is None:
            self._units = UnitIndex(self.actor)
        return self._units

    def error(self, row: int | None, column: str, message: Any) -> None:
        if (row, column) not in self.spoilt:
            self.errors.append(RowError(row, column, str(message)))

    def check_cells(self) -> None:
        """Report cells with control characters or of absurd length, and pass the
        checks after this one a cleaned value, so every other bad cell is still found."""
        for number, cells in self.rows:
            for header, value in cells.items():
                if not isinstance(value, str):
                    continue
                if _CONTROL.search(value):
                    self.error(
                        number,
                        header,
                        _("This cell holds invisible control characters; type the value again."),
                    )
                    self.spoilt.add((number, header))
                    value = _CONTROL.sub("", value)
                if len(value) > CELL_MAX_CHARS:
                    self.error(
                        number,
                        header,
                        _("This cell has %(n)d characters; at most %(max)d are read.")
                        % {"n": len(value), "max": CELL_MAX_CHARS},
                    )
                    self.spoilt.add((number, header))
                    value = value[:CELL_MAX_CHARS]
                cells[header] = value

    def text(self, cells: dict[str, Any], header: str) -> str:
        value = cells.get(header, "")
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    def unit(
        self, number: int, cells: dict[str, Any], header: str, roles, *, required: bool = True
    ) -> UnitRef | None:
        """Resolve a unit cell and check the user may write there; report and return None if not."""
        ref, problem = self.units.resolve(cells.get(header, ""))
        if problem:
            self.error(number, header, problem)
            return None
        if ref is None:
            if required:
                self.error(number, header, _("This column is required."))
            return None
        if not self.scope.can(roles, ref.path):
            self.error(
                number, header, _("You may not change data of %(unit)s.") % {"unit": ref.name}
            )
            return None
        return ref

    def date(self, number: int, cells: dict[str, Any], header: str) -> dt.date | None | bool:
        """A date, None if empty, or False after reporting a bad value."""
        value = cells.get(header, "")
        if value == "":
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text) or re.fullmatch(
            r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text
        )
        if m:
            try:
                return dt.date(*(int(g) for g in m.groups()))
            except ValueError:
                pass
        self.error(number, header, _("Not a valid date; write it as 2025-01-31."))
        return False

    def validate(
        self,
        number: int,
        fn: Callable[..., dict],
        values: dict[str, Any],
        safe: dict[str, Any],
        columns: dict[str, str],
        fallback: str,
    ) -> dict | None:
        """Run a service's validate function; on failure find each bad field's column.

        Each field is re-checked alone (the others set to known-good values), so
        every bad cell of the row is reported, not only the first.
        """
        try:
            return fn(**values)
        except InvalidInput as exc:
            first = exc.message
        found = False
        for name, header in columns.items():
            try:
                fn(**{**safe, name: values[name]})
            except InvalidInput as exc:
                self.error(number, header, exc.message)
                found = True
        if not found:
            self.error(number, fallback, first)
        return None

    def households(self, roles, *, need_unit_for_key: bool = True) -> dict[int, HouseholdRef]:
        """Resolve the household columns of every row: {row number: household}."""
        ids: set[int] = set()
        units: set[int] = set()
        pending: list[tuple[int, str, UnitRef | None, str, str]] = []
        for number, cells in self.rows:
            raw = self.text(cells, H_HOUSEHOLD)
            if raw:
                if not raw.isdigit():
                    self.error(
                        number, H_HOUSEHOLD, _("Unknown household: %(value)s") % {"value": raw}
                    )
                    continue
                ids.add(int(raw))
                pending.append((number, raw, None, "", ""))
                continue
            head, address = self.text(cells, H_HEAD), self.text(cells, H_ADDRESS)
            ref, problem = self.units.resolve(cells.get(H_UNIT, ""))
            if problem:
                self.error(number, H_UNIT, problem)
                continue
            if ref is None or not head or not address:
                for header, value in ((H_UNIT, ref), (H_HEAD, head), (H_ADDRESS, address)):
                    if not value:
                        self.error(
                            number,
                            header,
                            _(
                                "Give the household number, or the unit, head of household and address."
                            ),
                        )
                continue
            if ref.id is not None:
                units.add(ref.id)
            pending.append((number, "", ref, head, address))
        visible = selectors.households_visible_to(self.actor)
        fields = ("id", "unit_id", "unit__path", "unit__depth", "head_name", "address")
        by_id: dict[int, tuple] = {}
        for chunk in _chunks(ids):
            by_id.update({r[0]: r for r in visible.filter(pk__in=chunk).values_list(*fields)})
        by_key: dict[tuple[int, str, str], list[tuple]] = defaultdict(list)
        for chunk in _chunks(units, 500):
            for r in visible.filter(unit_id__in=chunk).values_list(*fields):
                by_key[(r[1], r[4], r[5])].append(r)
        found: dict[int, HouseholdRef] = {}
        for number, raw, ref, head, address in pending:
            if raw:
                hit = by_id.get(int(raw))
                if hit is None:
                    self.error(
                        number, H_HOUSEHOLD, _("Unknown household: %(value)s") % {"value": raw}
                    )
                    continue
                column = H_HOUSEHOLD
            else:
                assert ref is not None
                hits = by_key.get((ref.id or 0, head, address), [])
                if not hits:
                    self.error(
                        number,
                        H_HEAD,
                        _("No household with this head of household and address in %(unit)s.")
                        % {"unit": ref.name},
                    )
                    continue
                if len(hits) > 1:
                    self.error(
                        number, H_HEAD, _("Several households match; use the household number.")
                    )
                    continue
                hit, column = hits[0], H_UNIT
            household = HouseholdRef(hit[0], hit[1], hit[2], hit[3])
            if not self.scope.can(roles, household.path):
                name = self.units.by_id.get(household.unit_id)
                self.error(
                    number,
                    column,
                    _("You may not change data of %(unit)s.")
                    % {"unit": name.name if name else household.path},
                )
                continue
            found[number] = household
        return found


def _id_number(ctx: _Context, number: int, cells: dict[str, Any], header: str) -> str | None:
    raw = ctx.text(cells, header)
    if not raw:
        ctx.error(number, header, _("This column is required."))
        return None
    try:
        return normalize_id_number(raw)
    except InvalidInput as exc:
        ctx.error(number, header, exc.message)
        return None


# --- units --------------------------------------------------------------------------


def _units(ctx: _Context) -> Callable[[], ImportResult] | None:
    index = ctx.units
    plan: list[tuple[int, UnitRef]] = []
    for number, cells in ctx.rows:
        ok = True
        parent = ctx.unit(number, cells, H_PARENT, ORG_WRITE_ROLES, required=False)
        if parent is None and ctx.text(cells, H_PARENT):
            ok = False
        elif parent is None and not ctx.scope.is_superuser:
            ctx.error(number, H_PARENT, _("Only a superuser may create a top-level unit."))
            ok = False
        raw_kind = ctx.text(cells, H_KIND)
        kind = UNIT_KIND_NAMES.get(raw_kind) or (raw_kind if raw_kind in UnitKind.values else None)
        if kind is None:
            ctx.error(
                number,
                H_KIND,
                _("Unknown unit kind.") if raw_kind else _("This column is required."),
            )
            ok = False
        elif (
            parent is not None
            and parent.kind
            and KIND_RANK[UnitKind(kind)] <= KIND_RANK[UnitKind(parent.kind)]
        ):
            ctx.error(
                number,
                H_KIND,
                _("A %(kind)s cannot be placed under a %(parent)s.")
                % {"kind": UnitKind(kind).label, "parent": UnitKind(parent.kind).label},
            )
            ok = False
        name = ctx.text(cells, H_NAME)
        if not name:
            ctx.error(number, H_NAME, _("This column is required."))
            ok = False
        elif len(name) > 100 or "/" in name:
            ctx.error(number, H_NAME, _("A name may have at most 100 characters and no /."))
            ok = False
        code = ctx.text(cells, H_CODE)
        if code and (not code.isdigit() or len(code) not in (6, 9, 12)):
            ctx.error(number, H_CODE, _("Division code must have 6, 9 or 12 digits."))
            ok = False
        if not name or (parent is None and ctx.text(cells, H_PARENT)):
            continue
        full = f"{parent.full_name}/{name}" if parent else name
        existing = index.by_full.get(full)
        if existing:
            first = existing[0]
            if first.id is None:
                message = _("This unit appears more than once in the file.")
            elif parent is not None:
                message = _("%(parent)s already has a unit named %(name)s.") % {
                    "parent": parent.name,
                    "name": name,
                }
            else:
                message = _("This unit already exists.")
            ctx.error(number, H_NAME, message)
            continue
        # Added even when the row is bad, so its children are not reported as unknown.
        ref = UnitRef(
            None,
            (parent.path if parent else "") + "*" * STEPLEN,
            (parent.depth if parent else 0) + 1,
            kind or "",
            name,
            code,
            full,
            parent,
        )
        index.add(ref)
        if ok:
            plan.append((number, ref))

    def write() -> ImportResult:
        existing_parents = {r.parent.id for _n, r in plan if r.parent and r.parent.id}
        last: dict[int | None, str] = {}
        for chunk in _chunks(existing_parents, 500):
            list(Unit.objects.select_for_update().filter(pk__in=chunk).values_list("pk"))
            last.update(
                Unit.objects.filter(parent_id__in=chunk)
                .values("parent_id")
                .annotate(m=Max("path"))
                .values_list("parent_id", "m")
            )
        if any(r.parent is None for _n, r in plan):
            top = Unit.objects.filter(depth=1).aggregate(m=Max("path"))["m"]
            if top:
                last[None] = top
        counters: dict[int, int] = {}
        levels: dict[int, list[Unit]] = defaultdict(list)
        for _n, ref in plan:
            parent = ref.parent
            key = id(parent)
            if key not in counters:
                prev = (
                    last.get(parent.id if parent else None) if (not parent or parent.id) else None
                )
                counters[key] = int(prev[-STEPLEN:], 36) if prev else 0
            counters[key] += 1
            ref.path = (parent.path if parent else "") + encode_step(counters[key])
            ref.obj = Unit(
                parent_id=parent.id if parent else None,
                path=ref.path,
                depth=ref.depth,
                kind=ref.kind,
                name=ref.name,
                code=ref.code,
            )
            levels[ref.depth].append(ref.obj)
        by_obj = {id(r.obj): r for _n, r in plan}
        for depth in sorted(levels):
            for obj in levels[depth]:
                parent = by_obj[id(obj)].parent
                if parent is not None and obj.parent_id is None:
                    obj.parent_id = parent.id
            Unit.objects.bulk_create(levels[depth], batch_size=1000)
            for obj in levels[depth]:
                by_obj[id(obj)].id = obj.pk
        return ImportResult("units", "", rows=len(ctx.rows), created=len(plan))

    return write


# --- households -------------------------------------------------------------------------


def _tags(raw: str) -> list[str]:
    by_label = {label: code for code, label in TAG_LABELS.items()}
    return [by_label.get(t, t) for t in TAG_SEPARATORS.split(raw) if t]


def _households(ctx: _Context) -> Callable[[], ImportResult] | None:
    safe = {"head_name": "x", "address": "x", "tags": (), "latitude": None, "longitude": None}
    columns = {
        "head_name": H_HEAD,
        "address": H_ADDRESS,
        "tags": H_TAGS,
        "latitude": H_LAT,
        "longitude": H_LON,
    }
    checked: list[tuple[int, dict]] = []
    for number, cells in ctx.rows:
        unit = ctx.unit(number, cells, H_UNIT, ORG_WRITE_ROLES)
        values = {
            "head_name": ctx.text(cells, H_HEAD),
            "address": ctx.text(cells, H_ADDRESS),
            "tags": _tags(ctx.text(cells, H_TAGS)),
            "latitude": ctx.text(cells, H_LAT),
            "longitude": ctx.text(cells, H_LON),
        }
        placeholder = Unit(path="", depth=0)
        data = ctx.validate(
            number,
            services.household_validate,
            {"unit": placeholder, **values},
            {"unit": placeholder, **safe},
            columns,
            H_HEAD,
        )
        if unit is not None and data is not None:
            data["unit"] = unit
            checked.append((number, data))
    existing: set[tuple[int, str, str]] = set()
    for chunk in _chunks({d["unit"].id for _n, d in checked}, 500):
        existing.update(
            Household.objects.filter(unit_id__in=chunk).values_list(
                "unit_id", "head_name", "address"
            )
        )
    seen: dict[tuple[int, str, str], int] = {}
    plan: list[dict] = []
    for number, data in checked:
        key = (data["unit"].id, data["head_name"], data["address"])
        if key in existing:
            ctx.error(number, H_ADDRESS, _("This household is already registered."))
        elif key in seen:
            ctx.error(
                number,
                H_ADDRESS,
                _("This household is also in row %(row)d.") % {"row": seen[key]},
            )
        else:
            seen[key] = number
            plan.append(data)

    def write() -> ImportResult:
        objs = [
            Household(
                unit_id=d["unit"].id,
                head_name=d["head_name"],
                address=d["address"],
                tags=d["tags"],
                latitude=d["latitude"],
                longitude=d["longitude"],
                search_key=services.pinyin_key(d["head_name"]),
            )
            for d in plan
        ]
        Household.objects.bulk_create(objs, batch_size=1000)
        return ImportResult("households", "", rows=len(ctx.rows), created=len(objs))

    return write


# --- members --------------------------------------------------------------------------------


def _choice(raw: str, labels: dict) -> str:
    by_label = {label: code for code, label in labels.items()}
    if raw in by_label:
        return str(by_label[raw])
    return raw


def _members(ctx: _Context) -> Callable[[], ImportResult] | None:
    households = ctx.households(ORG_WRITE_ROLES)
    safe = {
        "name": "x",
        "sex": "",
        "birth_date": None,
        "relation": "",
        "id_number": "",
        "phone": "",
    }
    columns = {
        "name": H_PERSON,
        "sex": H_SEX,
        "birth_date": H_BIRTH,
        "relation": H_RELATION,
        "id_number": H_ID_NUMBER,
        "phone": H_PHONE,
    }
    checked: list[tuple[int, int, dict]] = []
    for number, cells in ctx.rows:
        birth = ctx.date(number, cells, H_BIRTH)
        sex = ctx.text(cells, H_SEX)
        sex = {"男": Sex.MALE, "女": Sex.FEMALE}.get(sex, sex)
        values = {
            "name": ctx.text(cells, H_PERSON),
            "sex": str(sex),
            "birth_date": birth or None,
            "relation": _choice(ctx.text(cells, H_RELATION), RELATION_LABELS),
            "id_number": ctx.text(cells, H_ID_NUMBER),
            "phone": ctx.text(cells, H_PHONE),
        }
        data = ctx.validate(number, services.member_validate, values, safe, columns, H_BIRTH)
        household = households.get(number)
        if data is not None and household is not None and birth is not False:
            checked.append((number, household.id, data))
    numbers = [d["id_number"] for _n, _h, d in checked if d["id_number"]]
    taken: set[str] = set()
    for chunk in _chunks(numbers):
        taken.update(
            Member.objects.filter(selectors.member_id_number_q(chunk)).values_list(
                "id_number", flat=True
            )
        )
    seen: dict[str, int] = {}
    plan: list[tuple[int, dict]] = []
    for number, household_id, data in checked:
        idn = data["id_number"]
        if idn and idn in taken:
            ctx.error(
                number, H_ID_NUMBER, _("A resident with this ID card number is already registered.")
            )
        elif idn and idn in seen:
            ctx.error(
                number,
                H_ID_NUMBER,
                _("This ID card number is also in row %(row)d.") % {"row": seen[idn]},
            )
        else:
            if idn:
                seen[idn] = number
            plan.append((household_id, data))

    def write() -> ImportResult:
        objs = [Member(household_id=h, **data) for h, data in plan]
        Member.objects.bulk_create(objs, batch_size=1000)
        return ImportResult("members", "", rows=len(ctx.rows), created=len(objs))

    return write


# --- representatives -------------------------------------------------------------------------


def _representatives(ctx: _Context) -> Callable[[], ImportResult] | None:
    """New representatives, each with the login account of their registered mobile.

    A row naming a resident who already serves the same unit changes nothing but
    gives them an account if they have none, so importing the same file twice is
    harmless, and importing the roster once more equips representatives appointed
    before accounts were made. Accounts follow `services.representative_account_ensure`
    (an existing account of the number is linked only if it is the importer's), checked
    for all rows at once; nothing is written while any row is refused.
    """
    parsed: list[tuple[int, str, str, UnitRef, dt.date]] = []
    for number, cells in ctx.rows:
        idn = _id_number(ctx, number, cells, H_ID_NUMBER)
        unit = ctx.unit(number, cells, H_REP_UNIT, ORG_WRITE_ROLES)
        start = ctx.date(number, cells, H_TERM_START)
        if idn and unit and start is not False:
            parsed.append((number, idn, ctx.text(cells, H_PERSON), unit, start or today()))
    members: dict[str, tuple] = {}
    visible = selectors.members_visible_to(ctx.actor)
    for chunk in _chunks({p[1] for p in parsed}):
        for row in visible.filter(selectors.member_id_number_q(chunk)).values_list(
            "id", "name", "id_number", "household__unit__path", "household__unit__depth", "phone"
        ):
            members[row[2]] = row
    # member id -> (representative id, unit id, account id) of the term serving now
    serving: dict[int, tuple[int, int, int | None]] = {}
    for chunk in _chunks([m[0] for m in members.values()]):
        for rep_id, member_id, unit_id, user_id in Representative.objects.filter(
            member_id__in=chunk, term_end__isnull=True
        ).values_list("id", "member_id", "unit_id", "user_id"):
            serving[member_id] = (rep_id, unit_id, user_id)
    seen: dict[str, int] = {}
    plan: list[tuple[int, Representative]] = []  # (row, new representative)
    keep: list[tuple[int, int, int, str]] = []  # (row, representative id, member id, phone)
    for number, idn, name, unit, start in parsed:
        member = members.get(idn)
        if member is None:
            ctx.error(number, H_ID_NUMBER, _("No resident with this ID card number is registered."))
            continue
        if name and name != member[1]:
            ctx.error(
                number,
                H_PERSON,
                _("The name does not match the resident with this ID card number."),
            )
            continue
        home = UnitRef(None, member[3], member[4], "", "", "", "")
        if not services.same_village(home, unit):
            ctx.error(
                number, H_REP_UNIT, _("A representative must live in the village they serve.")
            )
            continue
        if idn in seen:
            ctx.error(
                number,
                H_ID_NUMBER,
                _("This ID card number is also in row %(row)d.") % {"row": seen[idn]},
            )
            continue
        seen[idn] = number
        now = serving.get(member[0])
        if now is not None:
            if now[1] != unit.id:
                ctx.error(
                    number,
                    H_ID_NUMBER,
                    _("%(name)s is already a serving representative.") % {"name": member[1]},
                )
            elif now[2] is None and member[5]:
                keep.append((number, now[0], member[0], member[5]))
            continue
        rep = Representative(member_id=member[0], unit_id=unit.id, name=member[1], term_start=start)
        plan.append((number, rep))
    accounts = _rep_accounts(ctx, plan, keep, {m[0]: m[5] for m in members.values()})

    def write() -> ImportResult:
        reps = [rep for _n, rep in plan]
        Representative.objects.bulk_create(reps, batch_size=1000)
        made = accounts.write(reps, keep)
        return ImportResult(
            "representatives",
            "",
            rows=len(ctx.rows),
            created=len(reps),
            unchanged=len(ctx.rows) - len(reps),
            accounts=made,
        )

    return write


@dataclass
class _RepAccounts:
    """The login accounts an import of representatives creates and links."""

    actor: Any
    new: dict[str, str] = field(default_factory=dict)  # phone -> name, to create
    linked: dict[str, int] = field(default_factory=dict)  # phone -> existing account id
    unlink: list[int] = field(default_factory=list)  # ended terms giving up their account
    phones: dict[int, str] = field(default_factory=dict)  # member id -> phone

    def write(self, reps: list[Representative], keep: list[tuple[int, int, int, str]]) -> int:
        """Create the accounts, link them to the representatives (new ones, and those kept
        that had none), give each the representative role; answer how many were made."""
        if self.unlink:
            Representative.objects.filter(pk__in=self.unlink).update(user=None)
        User.objects.bulk_create(
            [
                User(phone=phone, name=name, password=make_password(None))
                for phone, name in self.new.items()
            ],
            batch_size=1000,
        )
        ids = dict(self.linked)
        ids.update({phone: user.pk for phone, user in users_by_phones(self.new).items()})
        targets: list[tuple[int, int]] = [(r.pk, r.unit_id) for r in reps]
        members = {r.pk: r.member_id for r in reps}
        for _n, rep_id, member_id, _phone in keep:
            members[rep_id] = member_id
        for chunk in _chunks([k[1] for k in keep]):
            targets.extend(Representative.objects.filter(pk__in=chunk).values_list("id", "unit_id"))
        changed: list[Representative] = []
        roles: list[RoleAssignment] = []
        for rep_id, unit_id in targets:
            user_id = ids.get(self.phones.get(members[rep_id], ""))
            if user_id is None:
                continue
            changed.append(Representative(pk=rep_id, user_id=user_id))
            roles.append(RoleAssignment(user_id=user_id, role=Role.REPRESENTATIVE, unit_id=unit_id))
        Representative.objects.bulk_update(changed, ["user"], batch_size=1000)
        RoleAssignment.objects.bulk_create(roles, batch_size=1000, ignore_conflicts=True)
        return len(self.new)


def _rep_accounts(
    ctx: _Context,
    plan: list[tuple[int, Representative]],
    keep: list[tuple[int, int, int, str]],
    phones: dict[int, str],
) -> _RepAccounts:
    """Check, for all rows at once, the account each representative will log in with:
    a new one for a number without an account, or the existing account of the number
    when it is the importer's (`accounts.selectors.bindable_accounts`) and free."""
    out = _RepAccounts(ctx.actor)
    wanted: list[tuple[int, int, str, str]] = []  # (row, member id, phone, name)
    for number, rep in plan:
        if phones.get(rep.member_id):
            wanted.append((number, rep.member_id, phones[rep.member_id], rep.name))
    for number, _rep_id, member_id, phone in keep:
        wanted.append((number, member_id, phone, ""))
    existing = users_by_phones(w[2] for w in wanted)
    ids = [u.pk for u in existing.values()]
    allowed: set[int] = set()
    held: dict[int, tuple[int, int, bool]] = {}  # account -> (representative, member, ended)
    for chunk in _chunks(ids):
        allowed.update(
            bindable_accounts(ctx.actor).filter(pk__in=chunk).values_list("pk", flat=True)
        )
        for rep_id, user_id, member_id, end in Representative.objects.filter(
            user_id__in=chunk
        ).values_list("id", "user_id", "member_id", "term_end"):
            held[user_id] = (rep_id, member_id, end is not None)
    first: dict[str, int] = {}
    refused = services.account_refused().message
    for number, member_id, phone, name in wanted:
        if phone in first:
            ctx.error(
                number,
                H_ID_NUMBER,
                _(
                    "This resident's mobile number is also the one of the representative in "
                    "row %(row)d; each representative logs in with their own number."
                )
                % {"row": first[phone]},
            )
            continue
        first[phone] = number
        user = existing.get(phone)
        if user is None:
            out.new[phone] = name
        else:
            holder = held.get(user.pk)
            if user.pk not in allowed or (
                holder is not None and (holder[1] != member_id or not holder[2])
            ):
                ctx.error(number, H_ID_NUMBER, refused)
                continue
            if holder is not None:
                out.unlink.append(holder[0])
            out.linked[phone] = user.pk
        out.phones[member_id] = phone
    return out


# --- household links -------------------------------------------------------------------------


@dataclass
class _RepRef:
    id: int
    name: str
    term_start: dt.date | None
    path: str
    depth: int


@dataclass
class _LinkRow:
    number: int
    household: HouseholdRef
    rep: _RepRef
    day: dt.date
    reason: str
    current: tuple | None  # (link id, representative id, valid_from)
    flagged: bool = False


def _links(ctx: _Context) -> Callable[[], ImportResult] | None:
    """Runs inside the import's transaction: the links and counts it reads are locked."""
    households = ctx.households(LINK_WRITE_ROLES)
    parsed: list[tuple[int, str, dt.date, str]] = []
    for number, cells in ctx.rows:
        idn = _id_number(ctx, number, cells, H_REP_ID_NUMBER)
        day = ctx.date(number, cells, H_FROM)
        if idn and day is not False:
            parsed.append((number, idn, day or today(), ctx.text(cells, H_REASON)[:200]))
    reps: dict[str, _RepRef] = {}
    visible = selectors.representatives_visible_to(ctx.actor).filter(term_end__isnull=True)
    for chunk in _chunks({p[1] for p in parsed}):
        for pk, name, start, path, depth, idn in visible.filter(
            selectors.member_id_number_q(chunk, "member__")
        ).values_list("id", "name", "term_start", "unit__path", "unit__depth", "member__id_number"):
            reps[idn] = _RepRef(pk, name, start, path, depth)
    current: dict[int, tuple] = {}
    for chunk in _chunks({h.id for h in households.values()}):
        for link in (
            selectors.current_links()
            .select_for_update()
            .filter(household_id__in=chunk)
            .values_list("id", "household_id", "representative_id", "valid_from")
        ):
            current[link[1]] = (link[0], link[2], link[3])
    seen: dict[int, int] = {}
    plan: list[_LinkRow] = []
    unchanged = 0
    for number, idn, day, reason in parsed:
        rep = reps.get(idn)
        if rep is None:
            ctx.error(
                number, H_REP_ID_NUMBER, _("No serving representative has this ID card number.")
            )
            continue
        household = households.get(number)
        if household is None:
            continue
        if rep.term_start and day < rep.term_start:
            ctx.error(
                number, H_FROM, _("%(name)s is not serving on that date.") % {"name": rep.name}
            )
            continue
        if not services.same_village(rep, household):
            ctx.error(
                number,
                H_REP_ID_NUMBER,
                _("A representative may only serve households of their own village."),
            )
            continue
        if household.id in seen:
            ctx.error(
                number,
                H_HOUSEHOLD,
                _("This household is also in row %(row)d.") % {"row": seen[household.id]},
            )
            continue
        seen[household.id] = number
        now = current.get(household.id)
        if now and now[1] == rep.id:
            unchanged += 1
            continue
        if now and day < now[2]:
            ctx.error(number, H_FROM, _("The change date is before the current link started."))
            continue
        plan.append(_LinkRow(number, household, rep, day, reason, now))

    # The 5-15 rule on the import's net effect, as link_assign applies it to one change.
    touched: dict[int, list[_LinkRow]] = defaultdict(list)
    delta: dict[int, int] = defaultdict(int)
    for row in plan:
        touched[row.rep.id].append(row)
        delta[row.rep.id] += 1
        if row.current:
            touched[row.current[1]].append(row)
            delta[row.current[1]] -= 1
    before: dict[int, int] = {}
    names = {row.rep.id: row.rep.name for row in plan}
    for chunk in _chunks(touched):
        list(Representative.objects.select_for_update().filter(pk__in=chunk).values_list("pk"))
        before.update(
            selectors.current_links()
            .filter(representative_id__in=chunk)
            .values("representative_id")
            .annotate(n=Count("id"))
            .values_list("representative_id", "n")
        )
        missing = [pk for pk in chunk if pk not in names]
        names.update(Representative.objects.filter(pk__in=missing).values_list("id", "name"))
    for rep_id, rows in touched.items():
        n0 = before.get(rep_id, 0)
        n1 = n0 + delta[rep_id]
        if services.range_distance(n1) <= services.range_distance(n0):
            continue
        for row in rows:
            if row.reason:
                row.flagged = True
            else:
                ctx.error(
                    row.number,
                    H_REASON,
                    services.range_message(_RepRef(rep_id, names[rep_id], None, "", 0), n1),
                )

    def write() -> ImportResult:
        ending: dict[dt.date, list[int]] = defaultdict(list)
        for row in plan:
            if row.current:
                ending[row.day].append(row.current[0])
        for day, ids in ending.items():
            for chunk in _chunks(ids):
                HouseholdLink.objects.filter(pk__in=chunk).update(valid_to=day)
        actor = ctx.actor if getattr(ctx.actor, "pk", None) else None
        HouseholdLink.objects.bulk_create(
            [
                HouseholdLink(
                    representative_id=row.rep.id,
                    household_id=row.household.id,
                    valid_from=row.day,
                    reason=row.reason,
                    out_of_range=row.flagged,
                    created_by=actor,
                )
                for row in plan
            ],
            batch_size=1000,
        )
        if plan:
            hooks.send(
                "links_changed",
                representative_ids=sorted(
                    {row.rep.id for row in plan} | {row.current[1] for row in plan if row.current}
                ),
                since=min(row.day for row in plan),
            )
        return ImportResult(
            "links",
            "",
            rows=len(ctx.rows),
            created=len(plan),
            ended=sum(len(v) for v in ending.values()),
            unchanged=unchanged,
            flagged=sum(1 for row in plan if row.flagged),
        )

    return write


# --- places ------------------------------------------------------------------------------


@dataclass
class _ServingRef:
    id: int
    name: str
    phone: str
    unit: Unit  # only its path and depth, for services.same_village


def _serving(ctx: _Context, names: set[str], phones: set[str]) -> list[_ServingRef]:
    """Serving representatives the user sees with one of these names or mobile numbers."""
    visible = selectors.representatives_visible_to(ctx.actor).filter(term_end__isnull=True)
    fields = ("id", "name", "member__phone", "unit__path", "unit__depth")
    found: dict[int, _ServingRef] = {}
    for field_q, values in (
        (lambda chunk: Q(name__in=chunk), names),
        (lambda chunk: selectors.member_phone_q(chunk, "member__"), phones),
    ):
        for chunk in _chunks(values):
            for pk, name, phone, path, depth in visible.filter(field_q(chunk)).values_list(*fields):
                found[pk] = _ServingRef(pk, name, phone, Unit(path=path, depth=depth))
    return list(found.values())


def _places(ctx: _Context) -> Callable[[], ImportResult] | None:
    """Places as `services.place_create` writes them, the representative as `place_assign`
    checks one: serving (and visible to the user), of the place's village."""
    by_label = {label: code for code, label in PLACE_KIND_LABELS.items()}
    checked: list[tuple[int, UnitRef, str, str, str, str, str]] = []
    for number, cells in ctx.rows:
        unit = ctx.unit(number, cells, H_UNIT, ORG_WRITE_ROLES)
        raw_kind = ctx.text(cells, H_PLACE_KIND)
        kind = by_label.get(raw_kind) or (raw_kind if raw_kind in PlaceKind.values else None)
        if kind is None:
            ctx.error(
                number,
                H_PLACE_KIND,
                _("Unknown place kind.") if raw_kind else _("This column is required."),
            )
        name = address = ""
        try:
            name = services.required_text(ctx.text(cells, H_PLACE_NAME), _("Name"), 100)
        except InvalidInput as exc:
            ctx.error(number, H_PLACE_NAME, exc.message)
        address = ctx.text(cells, H_ADDRESS)
        if len(address) > 200:
            ctx.error(number, H_ADDRESS, _("An address may have at most 200 characters."))
        rep_name = ctx.text(cells, H_SERVING)
        rep_phone = ctx.text(cells, H_SERVING_PHONE)
        phone_ok = True
        if rep_phone:
            try:
                rep_phone = normalize_mobile(rep_phone)
            except InvalidInput as exc:
                ctx.error(number, H_SERVING_PHONE, exc.message)
                phone_ok = False
        if unit is not None and kind is not None and name and len(address) <= 200 and phone_ok:
            checked.append((number, unit, kind, name, address, rep_name, rep_phone))
    by_name: dict[str, list[_ServingRef]] = defaultdict(list)
    by_phone: dict[str, list[_ServingRef]] = defaultdict(list)
    for ref in _serving(ctx, {c[5] for c in checked if c[5]}, {c[6] for c in checked if c[6]}):
        by_name[ref.name].append(ref)
        by_phone[ref.phone].append(ref)
    existing: set[tuple[int, str]] = set()
    for chunk in _chunks({c[1].id for c in checked}, 500):
        existing.update(Place.objects.filter(unit_id__in=chunk).values_list("unit_id", "name"))
    seen: dict[tuple[int, str], int] = {}
    plan: list[Place] = []
    for number, unit, kind, name, address, rep_name, rep_phone in checked:
        rep = None
        if rep_name or rep_phone:
            home = Unit(path=unit.path, depth=unit.depth)
            hits = [
                r
                for r in (by_name[rep_name] if rep_name else by_phone[rep_phone])
                if (not rep_phone or r.phone == rep_phone) and services.same_village(r.unit, home)
            ]
            column = H_SERVING if rep_name else H_SERVING_PHONE
            if not hits:
                ctx.error(
                    number,
                    column,
                    _("No serving representative of this village has this name or mobile number."),
                )
                continue
            if len(hits) > 1:
                ctx.error(
                    number,
                    column,
                    _("Several serving representatives have this name; give the mobile number."),
                )
                continue
            # The unit passed ORG_WRITE_ROLES, which place_assign's LINK_WRITE_ROLES include.
            rep = hits[0]
        unit_id = unit.id or 0  # a unit found in the user's scope has an id
        key = (unit_id, name)
        if key in existing:
            ctx.error(
                number,
                H_PLACE_NAME,
                _("%(unit)s already has a place named %(name)s.")
                % {"unit": unit.name, "name": name},
            )
            continue
        if key in seen:
            ctx.error(
                number,
                H_PLACE_NAME,
                _("This place is also in row %(row)d.") % {"row": seen[key]},
            )
            continue
        seen[key] = number
        plan.append(
            Place(
                unit_id=unit_id,
                kind=kind,
                name=name,
                address=address,
                representative_id=rep.id if rep else None,
            )
        )

    def write() -> ImportResult:
        Place.objects.bulk_create(plan, batch_size=1000)
        return ImportResult("places", "", rows=len(ctx.rows), created=len(plan))

    return write


# --- guard teams -------------------------------------------------------------------------


def _teams(ctx: _Context) -> Callable[[], ImportResult] | None:
    """Guard teams and their members as `services.team_create` and `team_member_add`
    write them: one team per unit and name, one member per row."""
    by_label = {label: code for code, label in MEMBER_KIND_LABELS.items()}
    checked: list[tuple[int, UnitRef, str, tuple[str, str, str] | None]] = []
    for number, cells in ctx.rows:
        unit = ctx.unit(number, cells, H_UNIT, ORG_WRITE_ROLES)
        ok = True
        team = ""
        try:
            team = services.required_text(ctx.text(cells, H_TEAM), _("Name"), 100)
        except InvalidInput as exc:
            ctx.error(number, H_TEAM, exc.message)
            ok = False
        raw_kind = ctx.text(cells, H_MEMBER_KIND)
        person = ctx.text(cells, H_PERSON)
        phone = ctx.text(cells, H_PHONE)
        member: tuple[str, str, str] | None = None
        if raw_kind or person or phone:
            kind = by_label.get(raw_kind) or (raw_kind if raw_kind in MemberKind.values else None)
            if kind is None:
                ctx.error(
                    number,
                    H_MEMBER_KIND,
                    _("Unknown guard team member kind.")
                    if raw_kind
                    else _("This column is required."),
                )
                ok = False
            try:
                person = services.required_text(person, _("Name"), 50)
            except InvalidInput as exc:
                ctx.error(number, H_PERSON, exc.message)
                ok = False
            if phone:
                try:
                    phone = normalize_mobile(phone)
                except InvalidInput as exc:
                    ctx.error(number, H_PHONE, exc.message)
                    ok = False
            member = (kind or "", person, phone)
        if unit is not None and ok:
            checked.append((number, unit, team, member))
    existing: dict[tuple[int, str], int] = {}
    for chunk in _chunks({c[1].id for c in checked}, 500):
        for pk, unit_id, name in (
            GuardTeam.objects.select_for_update()
            .filter(unit_id__in=chunk)
            .order_by("id")
            .values_list("id", "unit_id", "name")
        ):
            existing.setdefault((unit_id, name), pk)
    known: set[tuple[int, str, str]] = set()
    for chunk in _chunks(existing.values()):
        known.update(
            GuardTeamMember.objects.filter(team_id__in=chunk).values_list(
                "team_id", "name", "phone"
            )
        )
    new_teams: dict[tuple[int, str], GuardTeam] = {}
    members: list[tuple[tuple[int, str], tuple[str, str, str]]] = []
    seen: dict[tuple[int, str, str, str], int] = {}
    for number, unit, team, member in checked:
        key = (unit.id or 0, team)  # a unit found in the user's scope has an id
        if key not in existing and key not in new_teams:
            new_teams[key] = GuardTeam(unit_id=key[0], name=team)
        if member is None:
            continue
        kind, person, phone = member
        if key in existing and (existing[key], person, phone) in known:
            ctx.error(
                number,
                H_PERSON,
                _("%(name)s is already a member of this team.") % {"name": person},
            )
            continue
        twin = (*key, person, phone)
        if twin in seen:
            ctx.error(
                number,
                H_PERSON,
                _("This member is also in row %(row)d.") % {"row": seen[twin]},
            )
            continue
        seen[twin] = number
        members.append((key, member))

    def write() -> ImportResult:
        GuardTeam.objects.bulk_create(list(new_teams.values()), batch_size=1000)
        team_ids = {**existing, **{k: t.pk for k, t in new_teams.items()}}
        GuardTeamMember.objects.bulk_create(
            [
                GuardTeamMember(team_id=team_ids[key], kind=kind, name=person, phone=phone)
                for key, (kind, person, phone) in members
            ],
            batch_size=1000,
        )
        return ImportResult(
            "teams", "", rows=len(ctx.rows), created=len(members), teams=len(new_teams)
        )

    return write


_HANDLERS: dict[str, Callable[[_Context], Callable[[], ImportResult] | None]] = {
    "units": _units,
    "households": _households,
    "members": _members,
    "representatives": _representatives,
    "links": _links,
    "places": _places,
    "teams": _teams,
}


def _sorted(errors: list[RowError], kind: Kind) -> list[RowError]:
    """By row, then in the order of the kind's columns (several kinds share a header)."""
    order = {h: i for i, h in enumerate(kind.headers)}
    return sorted(errors, key=lambda e: (e.row or 0, order.get(e.column, 99)))


def import_file(*, actor, kind: str, data: bytes, filename: str = "") -> ImportResult:
    """Check every row of the file, then write all of it in one transaction, or nothing."""
    spec = KINDS.get(kind)
    if spec is None:
        raise InvalidInput(_("Unknown import kind."), code="import_kind")
    result = ImportResult(kind, filename)
    if len(data) > IMPORT_MAX_BYTES:
        result.errors.append(
            RowError(
                None, "", _("The file is larger than %(n)d MB.") % {"n": IMPORT_MAX_BYTES >> 20}
            )
        )
        return result
    try:
        rows = read_table(data, spec, filename)
    except ImportFileError as exc:
        result.file_problem = exc.message
        result.errors.append(RowError(None, "", exc.message))
        return result
    result.rows = len(rows)
    if not rows:
        result.errors.append(RowError(None, "", _("The file has no data rows.")))
        return result
    ctx = _Context(actor, spec, rows)
    ctx.check_cells()
    try:
        with transaction.atomic():
            write = _HANDLERS[kind](ctx)
            if ctx.errors or write is None:
                transaction.set_rollback(True)
            else:
                done = write()
                result.created, result.ended = done.created, done.ended
                result.unchanged, result.flagged = done.unchanged, done.flagged
                result.teams = done.teams
                result.accounts = done.accounts
                audit_record(
                    actor=actor,
                    action=AuditAction(f"import.{kind}"),
                    target_type=f"org.{kind}",
                    detail={"file": filename, **result.counts()},
                )
    except IntegrityError:
        result.created = result.ended = result.unchanged = result.flagged = result.teams = 0
        result.accounts = 0
        ctx.error(
            None,
            "",
            _(
                "The data was changed by someone else during the import; nothing was saved. Try again."
            ),
        )
    result.errors = _sorted(ctx.errors, spec)
    return result


# --- templates ------------------------------------------------------------------------------

# The kind a new unit under a unit of each kind usually has, for the units example.
_CHILD_KIND = {
    UnitKind.CITY: UnitKind.TOWN,
    UnitKind.TOWN: UnitKind.VILLAGE,
    UnitKind.SUBDISTRICT: UnitKind.COMMUNITY,
    UnitKind.VILLAGE: UnitKind.GROUP,
    UnitKind.COMMUNITY: UnitKind.GROUP,
    UnitKind.AREA: UnitKind.GROUP,
}


def _free_name(kind: str, taken: set[str]) -> str:
    """A name for a new unit of `kind` that no unit nearby has: 七组, or 新村2."""
    from .demo import cn_number

    if kind in (UnitKind.GROUP, UnitKind.AREA):
        suffix = "组" if kind == UnitKind.GROUP else "片"
        candidates = [f"{cn_number(n)}{suffix}" for n in range(1, 100)]
    else:
        label = UNIT_KIND_LABELS[UnitKind(kind)]
        candidates = [f"新{label}"] + [f"新{label}{n}" for n in range(2, 1000)]
    return next((c for c in candidates if c not in taken), candidates[-1])


def example_values(user) -> dict[str, str]:
    """Example cells built on the user's own units, so a template imports as it is.

    The unit columns name a group the user may change (by its full path); the units
    example adds a unit with a free name beside it; the address is in that group.
    Empty when the user may change no unit: the templates then keep the fixed examples.
    """
    if user is None:
        return {}
    scope = scope_for(user)
    units = selectors.units_visible_to(user)
    if not scope.is_superuser:
        paths = scope.paths_for(ORG_WRITE_ROLES) or scope.paths_for(LINK_WRITE_ROLES)
        if not paths:
            return {}
        units = units.filter(scope.path_q("path", paths))
    base = (
        units.filter(kind=UnitKind.GROUP).order_by("path").first()
        or units.order_by("-depth", "path").first()
    )
    if base is None:
        # Nothing to build on (an empty installation): a superuser starts at the top.
        return {H_PARENT: "", H_KIND: UNIT_KIND_LABELS[UnitKind.CITY], H_NAME: "浏阳市"}
    line = list(
        Unit.objects.filter(path__in=ancestor_paths_of(base.path))
        .order_by("path")
        .values_list("path", "kind", "name")
    )
    full = "/".join(name for _p, _k, name in line)
    if base.kind == UnitKind.GROUP and len(line) > 1:
        parent_path, parent_kind, _name = line[-2]
        parent_full, new_kind = full.rsplit("/", 1)[0], UnitKind.GROUP
    else:
        parent_path, parent_kind = base.path, base.kind
        parent_full, new_kind = full, _CHILD_KIND.get(UnitKind(base.kind), UnitKind.GROUP)
    # Names are kept apart in the whole village, so the path without the area stays unique.
    if parent_kind == UnitKind.AREA and len(parent_path) > STEPLEN:
        parent_path = parent_path[:-STEPLEN]
    taken = set(Unit.objects.filter(path__startswith=parent_path).values_list("name", flat=True))
    village = next(
        (name for _p, kind, name in line if kind in (UnitKind.VILLAGE, UnitKind.COMMUNITY)), ""
    )
    own = village or base.name
    places = set(Place.objects.filter(unit=base).values_list("name", flat=True))
    place = next(
        name
        for n in range(1, len(places) + 2)
        if (name := f"{own}小学{n if n > 1 else ''}") not in places
    )
    return {
        H_PARENT: parent_full,
        H_KIND: UNIT_KIND_LABELS[UnitKind(new_kind)],
        H_NAME: _free_name(new_kind, taken),
        H_UNIT: full,
        H_REP_UNIT: full,
        H_ADDRESS: f"{village}{base.name if village != base.name else ''}8号",
        H_PLACE_NAME: place,
        H_TEAM: f"{own}邻里守心团",
    }


def example_row(kind: str, user=None) -> list[str]:
    """The template's example row: the user's own units where the column names one."""
    values = example_values(user)
    return [values.get(c.header, c.example) for c in KINDS[kind].columns]


def template_xlsx(kind: str, user=None) -> bytes:
    """An .xlsx template: styled header, one example row, and a 说明 sheet on each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from linli.core.xlsx import clean_text

    spec = KINDS[kind]
    # The examples name the user's units, whatever their stored names hold.
    examples = [clean_text(v) for v in example_row(kind, user)]
    wb = Workbook()
    ws = wb.active
    ws.title = str(spec.label)[:31]
    required_fill = PatternFill("solid", fgColor="C8161D")
    optional_fill = PatternFill("solid", fgColor="5B6B7F")
    white = Font(bold=True, color="FFFFFF")
    for i, (col, value) in enumerate(zip(spec.columns, examples, strict=True), start=1):
        cell = ws.cell(row=1, column=i, value=col.header)
        cell.font = white
        cell.fill = required_fill if col.required else optional_fill
        cell.alignment = Alignment(horizontal="center")
        example = ws.cell(row=2, column=i, value=value or None)
        example.font = Font(italic=True, color="646A73")
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(12, min(40, len(value) * 2 + 4))
        if col.as_text:
            for r in range(2, 1002):
                ws.cell(row=r, column=i).number_format = "@"
    ws.freeze_panes = "A2"

    notes = wb.create_sheet("说明")
    notes.append([_("How to fill in this template")])
    notes["A1"].font = Font(bold=True, size=13)
    lines = [
        _(
            "Fill the first sheet, one row per record; the first row holds the column headers, do not change them."
        ),
        _(
            "Red columns are required. The example row uses your own units and imports as it is; replace it with your rows."
        ),
        _("If any row has a problem nothing is imported, and every problem is listed."),
        _("At most %(n)d rows per file.") % {"n": settings.LINLI["IMPORT_MAX_ROWS"]},
    ]
    if spec.note:
        lines.append(str(spec.note))
    for line in lines:
        notes.append([line])
    notes.append([])
    notes.append(["列名", "必填", "说明", "可选值", "示例"])
    for cell in notes[notes.max_row]:
        cell.font = Font(bold=True)
    for col, value in zip(spec.columns, examples, strict=True):
        notes.append([col.header, "是" if col.required else "否", str(col.help), col.values, value])
    for letter, width in zip("ABCDE", (16, 8, 70, 40, 28), strict=True):
        notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_csv(kind: str, user=None) -> bytes:
    """A CSV template in UTF-8 with a byte-order mark, so Excel shows the Chinese headers."""
    spec = KINDS[kind]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(spec.headers)
    writer.writerow(example_row(kind, user))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def errors_xlsx(errors: Iterable[RowError | dict]) -> bytes:
    """The error report as a workbook: row, column, reason."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误")
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 80
    from openpyxl.cell import WriteOnlyCell

    header = []
    for text in ("行号", "列名", "原因"):
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    from linli.core.xlsx import cell_value

    for e in errors:
        if isinstance(e, dict):
            row = [e.get("row"), e.get("column"), e.get("message")]
        else:
            row = [e.row, e.column, e.message]
        # A reason may quote the uploaded cell, control characters and all.
        ws.append([cell_value(ws, v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
