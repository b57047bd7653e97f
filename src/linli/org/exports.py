"""Excel exports of the organisation lists, built only from the scoped selectors.

ID card numbers and phones are always masked. Rows are streamed from the
database (`values()` + `iterator()`) into a write-only workbook, so memory
stays flat for county-sized lists. Column headers are data format (Chinese)
and match the import columns where a column means the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.core.inputs import is_id
from linli.core.masking import mask_id_number, mask_phone
from linli.core.timeutil import age, today
from linli.core.xlsx import write_xlsx

from . import selectors
from .imports import (
    H_ADDRESS,
    H_CODE,
    H_FROM,
    H_HEAD,
    H_HOUSEHOLD,
    H_ID_NUMBER,
    H_KIND,
    H_LAT,
    H_LON,
    H_MEMBER_KIND,
    H_NAME,
    H_PARENT,
    H_PERSON,
    H_PHONE,
    H_PLACE_KIND,
    H_PLACE_NAME,
    H_REASON,
    H_RELATION,
    H_REP_ID_NUMBER,
    H_REP_UNIT,
    H_SERVING,
    H_SERVING_PHONE,
    H_SEX,
    H_TAGS,
    H_TEAM,
    H_TERM_START,
    H_UNIT,
    MEMBER_KIND_LABELS,
    PLACE_KIND_LABELS,
    RELATION_LABELS,
    SEX_LABELS,
    TAG_LABELS,
    UNIT_KIND_LABELS,
)
from .models import GuardTeam, GuardTeamMember, Unit, ancestor_paths_of, path_at

H_AGE = "年龄"

EXPORT_KINDS = {
    "units": ("单位", gettext_lazy("Units")),
    "households": ("住户", gettext_lazy("Households")),
    "members": ("家庭成员", gettext_lazy("Household members")),
    "representatives": ("代表", gettext_lazy("Representatives")),
    "links": ("联户记录", gettext_lazy("Household links")),
    "places": ("场所", gettext_lazy("Places")),
    "teams": ("邻里守心团", gettext_lazy("Guard teams")),
}


class UnitNames:
    """Full name paths ("浏阳市/大瑶镇/李畋村") for the unit paths of an export, in one query."""

    def __init__(self, paths: Iterable[str]) -> None:
        prefixes = {a for p in paths if p for a in ancestor_paths_of(p)}
        self.names: dict[str, str] = {}
        if prefixes:
            self.names = dict(Unit.objects.filter(path__in=prefixes).values_list("path", "name"))
        self._cache: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        full = self._cache.get(path)
        if full is None:
            full = "/".join(self.names.get(a, "?") for a in ancestor_paths_of(path))
            self._cache[path] = full
        return full


def _unit_filter(user, params, field: str, qs: QuerySet) -> QuerySet:
    """The ?unit= filter of the list pages (NotFound if the unit is not visible)."""
    raw = str(params.get("unit", "") or "")
    if is_id(raw):
        unit = selectors.unit_get(user, int(raw))
        qs = qs.filter(**{f"{field}__startswith": unit.path})
    return qs


def _names_for(qs: QuerySet, field: str) -> UnitNames:
    return UnitNames(qs.order_by().values_list(field, flat=True).distinct())


def _units(user, params) -> tuple[list[str], Iterator[list[Any]]]:
    qs = _unit_filter(user, params, "path", selectors.units_visible_to(user)).order_by("path")
    rows = list(qs.values_list("path", "kind", "name", "code", "depth"))
    names = UnitNames(r[0] for r in rows)
    headers = [H_PARENT, H_KIND, H_NAME, H_CODE, "完整路径", "层级"]

    def gen():
        for path, kind, name, code, depth in rows:
            parent = names(path_at(path, depth - 1)) if depth > 1 else ""
            yield [parent, UNIT_KIND_LABELS.get(kind, kind), name, code, names(path), depth]

    return headers, gen()


def _households(user, params) -> tuple[list[str], Iterator[list[Any]]]:
    from .views import filter_households

    _form, _unit, qs = filter_households(user, params)
    rep_name = (
        selectors.current_links()
        .filter(household=OuterRef("pk"))
        .values("representative__name")[:1]
    )
    names = _names_for(qs, "unit__path")
    headers = [H_HOUSEHOLD, H_UNIT, H_HEAD, H_ADDRESS, H_TAGS, H_LAT, H_LON, "联户代表"]
    values = qs.annotate(rep_name=Subquery(rep_name)).values_list(
        "id", "unit__path", "head_name", "address", "tags", "latitude", "longitude", "rep_name"
    )

    def gen():
        for pk, path, head, address, tags, lat, lon, rep in values.iterator(chunk_size=2000):
            yield [
                pk,
                names(path),
                head,
                address,
                "、".join(TAG_LABELS.get(t, t) for t in tags or ()),
                float(lat) if lat is not None else None,
                float(lon) if lon is not None else None,
                rep or "",
            ]

    return headers, gen()


def _members(user, params) -> tuple[list[str], Iterator[list[Any]]]:
    qs = _unit_filter(user, params, "household__unit__path", selectors.members_visible_to(user))
    qs = qs.order_by("household__unit__path", "household_id", "id")
    names = _names_for(qs, "household__unit__path")
    headers = [
        H_HOUSEHOLD,
        H_UNIT,
        H_HEAD,
        H_ADDRESS,
        H_PERSON,
        H_SEX,
        H_AGE,
        H_RELATION,
        H_ID_NUMBER,
        H_PHONE,
    ]
    values = qs.values_list(
        "household_id",
        "household__unit__path",
        "household__head_name",
        "household__address",
        "name",
        "sex",
        "birth_date",
        "relation",
        "id_number",
        "phone",
    )

    def gen():
        for hid, path, head, address, name, sex, birth, relation, idn, phone in values.iterator(
            chunk_size=2000
        ):
            yield [
                hid,
                names(path),
                head,
                address,
                name,
                SEX_LABELS.get(sex, sex),
                age(birth),
                RELATION_LABELS.get(relation, relation),
                mask_id_number(idn),
                mask_phone(phone),
            ]

    return headers, gen()


def _representatives(user, params) -> tuple[list[str], Iterator[list[Any]]]:
    qs = _unit_filter(user, params, "unit__path", selectors.representatives_visible_to(user))
    if params.get("status") != "all":
        qs = qs.filter(term_end__isnull=True)
    q = str(params.get("q", "") or "").strip()
    if q:
        qs = qs.filter(name__contains=q)
    qs = selectors.with_active_link_count(qs).order_by("unit__path", "name", "id")
    names = _names_for(qs, "unit__path")
    headers = [
        H_PERSON,
        H_ID_NUMBER,
        H_PHONE,
        H_REP_UNIT,
        H_TERM_START,
        "任期结束",
        "当前联户数",
    ]
    values = qs.values_list(
        "name",
        "member__id_number",
        "member__phone",
        "unit__path",
        "term_start",
        "term_end",
        "active_households",
    )

    def gen():
        for name, idn, phone, path, start, end, n in values.iterator(chunk_size=2000):
            yield [name, mask_id_number(idn), mask_phone(phone), names(path), start, end, n]

    return headers, gen()


def _links(user, params) -> tuple[list[str], Iterator[list[Any]]]:
    qs = _unit_filter(user, params, "household__unit__path", selectors.links_visible_to(user))
    qs = qs.order_by("household__unit__path", "household_id", "valid_from", "id")
    names = _names_for(qs, "household__unit__path")
    headers = [
        H_HOUSEHOLD,
        H_UNIT,
        H_HEAD,
        H_ADDRESS,
        "代表姓名",
        H_REP_ID_NUMBER,
        H_FROM,
        "结束日期",
        H_REASON,
        "超出5-15",
    ]
    values = qs.values_list(
        "household_id",
        "household__unit__path",
        "household__head_name",
        "household__address",
        "representative__name",
        "representative__member__id_number",
        "valid_from",
        "valid_to",
        "reason",
        "out_of_range",
    )

    def gen():
        for hid, path, head, address, rep, idn, start, end, reason, flagged in values.iterator(
            chunk_size=2000
        ):
            yield [
                hid,
                names(path),
                head,
                address,
                rep,
                mask_id_number(idn),
                start,
                end,
                reason,
                "是" if flagged else "",
            ]

    return headers, gen()


def _places(user, params) -> tuple[list[str], Iterator[list[Any]]]:
    qs = _unit_filter(user, params, "unit__path", selectors.places_visible_to(user))
    qs = qs.order_by("unit__path", "name", "id")
    names = _names_for(qs, "unit__path")
    headers = [H_UNIT, H_PLACE_KIND, H_PLACE_NAME, H_ADDRESS, H_SERVING, H_SERVING_PHONE]
    values = qs.values_list(
        "unit__path",
        "kind",
        "name",
        "address",
        "representative__name",
        "representative__member__phone",
    )

    def gen():
        for path, kind, name, address, rep, phone in values.iterator(chunk_size=2000):
            yield [
                names(path),
                PLACE_KIND_LABELS.get(kind, kind),
                name,
                address,
                rep or "",
                mask_phone(phone) if phone else "",
            ]

    return headers, gen()


def _teams(user, params) -> tuple[list[str], Iterator[list[Any]]]:
    """One row per member, a team without members as one row of its own; the team's
    representatives in a column of their own (they are not import columns)."""
    qs = _unit_filter(user, params, "unit__path", selectors.teams_visible_to(user))
    teams = list(
        qs.prefetch_related(None)
        .order_by("unit__path", "name", "id")
        .values_list("id", "unit__path", "name")
    )
    ids = [t[0] for t in teams]
    reps: dict[int, list[str]] = {}
    members: dict[int, list[tuple[str, str, str]]] = {}
    through = GuardTeam.representatives.through
    for i in range(0, len(ids), 2000):
        chunk = ids[i : i + 2000]
        for team_id, rep in (
            through.objects.filter(guardteam_id__in=chunk)
            .order_by("representative__name", "representative_id")
            .values_list("guardteam_id", "representative__name")
        ):
            reps.setdefault(team_id, []).append(rep)
        for team_id, kind, name, phone in (
            GuardTeamMember.objects.filter(team_id__in=chunk)
            .order_by("team_id", "id")
            .values_list("team_id", "kind", "name", "phone")
        ):
            members.setdefault(team_id, []).append((kind, name, phone))
    names = UnitNames(t[1] for t in teams)
    headers = [H_UNIT, H_TEAM, H_MEMBER_KIND, H_PERSON, H_PHONE, "联户代表"]

    def gen():
        for pk, path, team in teams:
            rep_names = "、".join(reps.get(pk, ()))
            for kind, name, phone in members.get(pk) or [("", "", "")]:
                yield [
                    names(path),
                    team,
                    MEMBER_KIND_LABELS.get(kind, kind),
                    name,
                    mask_phone(phone) if phone else "",
                    rep_names,
                ]

    return headers, gen()


_BUILDERS = {
    "units": _units,
    "households": _households,
    "members": _members,
    "representatives": _representatives,
    "links": _links,
    "places": _places,
    "teams": _teams,
}


@dataclass
class Export:
    filename: str
    file: IO[bytes]
    rows: int


def export_xlsx(*, user, kind: str, params) -> Export:
    """Build the export in a temporary file and audit it. NotFound for an unknown kind or unit."""
    from linli.core.errors import NotFound

    builder = _BUILDERS.get(kind)
    if builder is None:
        raise NotFound("unknown export")
    headers, rows = builder(user, params)
    out, count = write_xlsx(
        headers, rows, sheet=EXPORT_KINDS[kind][0], wide=(H_UNIT, H_REP_UNIT, "完整路径", H_PARENT)
    )
    audit_record(
        actor=user,
        action=AuditAction(f"export.{kind}"),
        target_type=f"org.{kind}",
        detail={"rows": count, "filters": {k: params.get(k) for k in params if k != "page"}},
    )
    stamp = today().isoformat()
    return Export(f"{EXPORT_KINDS[kind][0]}_{stamp}.xlsx", out, count)
