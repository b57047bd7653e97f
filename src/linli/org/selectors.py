"""Every read of the organisation, already scoped to what the user may see.

Views and API handlers never filter by hand: they start here. "Does not
exist" and "not yours" are the same NotFound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from linli.accounts.scope import Scope, scope_for
from linli.core.crypto import blind_index
from linli.core.errors import NotFound

from .models import (
    GuardTeam,
    GuardTeamMember,
    Household,
    HouseholdLink,
    Member,
    Place,
    Representative,
    Unit,
    path_at,
)


def _household_q(scope: Scope, prefix: str = "") -> Q:
    """Households a scope sees: the subtree of household roles, or a representative's own."""
    if scope.is_superuser:
        return Q()
    q = scope.path_q(f"{prefix}unit__path", scope.household_paths)
    if scope.representative_ids:
        q |= Q(**{f"{prefix}links__representative_id__in": scope.representative_ids}) & (
            current_link_q(f"{prefix}links__")
        )
    return q


def units_visible_to(user) -> QuerySet[Unit]:
    scope = scope_for(user)
    return Unit.objects.filter(scope.path_q("path", scope.unit_paths))


def unit_get(user, pk) -> Unit:
    unit = units_visible_to(user).filter(pk=pk).first()
    if unit is None:
        raise NotFound(_("Unit not found."))
    return unit


def parent_visible(user, unit: Unit) -> bool:
    """Is the unit's parent visible to the user (so "up one level" leads somewhere)?
    Answered from the scope, without a query."""
    scope = scope_for(user)
    return bool(unit.parent_id) and (
        scope.is_superuser
        or any(unit.path != p and unit.path.startswith(p) for p in scope.unit_paths)
    )


def root_units_for(user) -> QuerySet[Unit]:
    """The top units of the user's scope (where their tree starts)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Unit.objects.filter(parent__isnull=True)
    return Unit.objects.filter(path__in=scope.unit_paths)


def serving_representative_ids(user) -> list[int]:
    """Ids of the representative records the user serves as now (their scope's own).

    `accounts.scope` calls it through the lookup `OrgConfig.ready()` registers.
    """
    serving = Representative.objects.filter(user=user, term_end__isnull=True)
    return list(serving.values_list("id", flat=True))


def households_visible_to(user) -> QuerySet[Household]:
    scope = scope_for(user)
    q = _household_q(scope)
    qs = Household.objects.filter(q)
    if scope.representative_ids and not scope.is_superuser:
        # The join through links can repeat a row; keep ids unique.
        qs = Household.objects.filter(pk__in=qs.values("pk"))
    return qs.select_related("unit")


def household_get(user, pk) -> Household:
    household = households_visible_to(user).filter(pk=pk).first()
    if household is None:
        raise NotFound(_("Household not found."))
    return household


def members_visible_to(user) -> QuerySet[Member]:
    return Member.objects.filter(
        household__in=households_visible_to(user).values("pk")
    ).select_related("household")


def member_get(user, pk) -> Member:
    member = members_visible_to(user).filter(pk=pk).first()
    if member is None:
        raise NotFound(_("Household member not found."))
    return member


# --- lookups by ID number or mobile ---------------------------------------------
# Both are encrypted at rest (`core.crypto`): every lookup by value goes through
# the keyed hash, here. Exact matches only; a partial number finds nothing.


def _hashes(values: str | Iterable[str]) -> list[str]:
    values = [values] if isinstance(values, str) else values
    return [h for h in (blind_index(v) for v in values) if h]


def member_phone_q(phones: str | Iterable[str], prefix: str = "") -> Q:
    """Members (or, with a prefix such as "member__", their holders) with one of these
    normalised mobiles. An empty value matches nothing."""
    return Q(**{f"{prefix}phone_hash__in": _hashes(phones)})


def member_id_number_q(numbers: str | Iterable[str], prefix: str = "") -> Q:
    """Members (or, with a prefix, their holders) with one of these normalised ID numbers."""
    return Q(**{f"{prefix}id_number_hash__in": _hashes(numbers)})


def members_with_phone(phone: str) -> QuerySet[Member]:
    """Every member registered with this normalised mobile, unscoped (routing a
    resident's report to their household; the caller decides what to show)."""
    return Member.objects.filter(member_phone_q(phone))


def representatives_with_phone(phone: str) -> QuerySet[Representative]:
    """Representatives whose member record has this normalised mobile, unscoped."""
    return Representative.objects.filter(member_phone_q(phone, "member__"))


def representatives_q(user, prefix: str = "") -> Q:
    """Representatives the user sees: those of the subtrees of their household roles,
    and their own serving representative records. `prefix` reaches them from another
    model (`"representative__"`). The object form is `can_see_representative`.

    A superuser's filter is the empty `Q()` (everything); never OR it with another
    (`Q() | x` is `x` in Django)."""
    scope = scope_for(user)
    q = scope.path_q(f"{prefix}unit__path", scope.household_paths)
    if scope.representative_ids and not scope.is_superuser:
        q |= Q(**{f"{prefix}pk__in": scope.representative_ids})
    return q


def can_see_representative(user, representative: Representative) -> bool:
    """Does the user see this representative (`representatives_q` for one object)?"""
    scope = scope_for(user)
    return (
        representative.pk in scope.representative_ids
        or any(representative.unit.path.startswith(p) for p in scope.household_paths)
        or scope.is_superuser
    )


def representatives_visible_to(user) -> QuerySet[Representative]:
    return Representative.objects.filter(representatives_q(user)).select_related("unit", "member")


def representative_get(user, pk) -> Representative:
    rep = representatives_visible_to(user).filter(pk=pk).first()
    if rep is None:
        raise NotFound(_("Representative not found."))
    return rep


def with_active_link_count(qs: QuerySet[Representative]) -> QuerySet[Representative]:
    return qs.annotate(active_households=Count("links", filter=current_link_q("links__")))


def links_visible_to(user) -> QuerySet[HouseholdLink]:
    return HouseholdLink.objects.filter(
        household__in=households_visible_to(user).values("pk")
    ).select_related("representative", "household", "household__unit")


def places_visible_to(user) -> QuerySet[Place]:
    scope = scope_for(user)
    q = scope.path_q("unit__path", scope.household_paths)
    if scope.representative_ids and not scope.is_superuser:
        q |= Q(representative_id__in=scope.representative_ids)
    return Place.objects.filter(q).select_related("unit", "representative")


def teams_visible_to(user) -> QuerySet[GuardTeam]:
    scope = scope_for(user)
    q = scope.path_q("unit__path", scope.household_paths)
    if scope.representative_ids and not scope.is_superuser:
        q |= Q(representatives__in=scope.representative_ids)
    qs = GuardTeam.objects.filter(q)
    if scope.representative_ids and not scope.is_superuser:
        qs = GuardTeam.objects.filter(pk__in=qs.values("pk"))
    return qs.select_related("unit").prefetch_related("representatives", "members")


def team_members_visible_to(user) -> QuerySet[GuardTeamMember]:
    return GuardTeamMember.objects.filter(
        team__in=teams_visible_to(user).values("pk")
    ).select_related("team")


# --- household links: who serves a household now, or on a day -----------------------------
# Unscoped building blocks (the callers scope what they pass). The object forms are
# `HouseholdLink.is_current` and `HouseholdLink.in_force_on(day)`.


def current_link_q(prefix: str = "") -> Q:
    """Links in force now (`prefix` reaches them from another model, e.g. `"links__"`)."""
    return Q(**{f"{prefix}valid_to__isnull": True})


active_link_q = current_link_q  # the older name


def link_on_q(day: dt.date, prefix: str = "") -> Q:
    """Links in force on `day`: started on or before it and not ended by it."""
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": day})
    )


def current_links() -> QuerySet[HouseholdLink]:
    """Every link in force now (at most one per household)."""
    return HouseholdLink.objects.filter(current_link_q())


def current_representatives(households) -> dict[int, Representative]:
    """Who serves each of these households now, by household id (one query; households
    nobody serves are left out)."""
    ids = [h.pk if isinstance(h, Household) else h for h in households]
    links = current_links().filter(household_id__in=ids).select_related("representative")
    return {link.household_id: link.representative for link in links}


def representative_on(household: Household, day: dt.date) -> Representative | None:
    """Who served this household on `day` (from the link history)."""
    link = (
        HouseholdLink.objects.filter(link_on_q(day), household=household)
        .select_related("representative")
        .order_by("-valid_from", "-id")
        .first()
    )
    return link.representative if link else None


def uncovered_households(user, unit: Unit) -> QuerySet[Household]:
    """Households in the unit's subtree that no representative serves now."""
    active = current_links().filter(household=OuterRef("pk"))
    return (
        households_visible_to(user)
        .filter(unit__path__startswith=unit.path)
        .filter(~Exists(active))
        .order_by("unit__path", "id")
    )


def representatives_out_of_range(user, unit: Unit) -> QuerySet[Representative]:
    lo, hi = settings.LINLI["LINK_MIN"], settings.LINLI["LINK_MAX"]
    return (
        with_active_link_count(
            representatives_visible_to(user).filter(
                unit__path__startswith=unit.path, term_end__isnull=True
            )
        )
        .filter(Q(active_households__lt=lo) | Q(active_households__gt=hi))
        .order_by("unit__path", "id")
    )


def unassigned_places(user, unit: Unit) -> QuerySet[Place]:
    return places_visible_to(user).filter(
        unit__path__startswith=unit.path, representative__isnull=True
    )


@dataclass
class CoverageRow:
    unit: Unit
    households: int = 0
    uncovered_households: int = 0
    representatives: int = 0
    representatives_out_of_range: int = 0
    places: int = 0
    unassigned_places: int = 0

    @property
    def household_rate(self) -> float:
        if not self.households:
            return 1.0
        return (self.households - self.uncovered_households) / self.households

    @property
    def empty(self) -> bool:
        """No households to cover: nothing is claimed covered over an empty scope."""
        return not self.households

    @property
    def complete(self) -> bool:
        return not self.empty and not (
            self.uncovered_households or self.representatives_out_of_range or self.unassigned_places
        )


@dataclass
class Coverage:
    total: CoverageRow
    children: list[CoverageRow]


def coverage_for(user, unit: Unit) -> Coverage:
    """Coverage of a unit with per-child counts, in a few GROUP BY queries.

    Counts are grouped by unit id (an index-only scan at county scale) and then
    summed up the tree in Python over the subtree's units, which number about
    10,000 in a whole county.
    """
    subtree = dict(Unit.objects.filter(path__startswith=unit.path).values_list("pk", "path"))
    children = list(Unit.objects.filter(parent=unit).order_by("path"))
    rows = {c.path: CoverageRow(unit=c) for c in children}
    total = CoverageRow(unit=unit)
    child_depth = unit.depth + 1

    def tally(qs, **aggregates) -> None:
        for item in qs.values("unit_id").annotate(**aggregates).order_by():
            path = subtree.get(item["unit_id"])
            if path is None:
                continue
            row = rows.get(path_at(path, child_depth))
            for attr in aggregates:
                setattr(total, attr, getattr(total, attr) + item[attr])
                if row is not None:
                    setattr(row, attr, getattr(row, attr) + item[attr])

    tally(
        households_visible_to(user).filter(unit__path__startswith=unit.path),
        households=Count("pk"),
    )
    # A separate NOT EXISTS query plans as an anti-join; a filtered count in
    # the query above would run the subquery once per household.
    tally(uncovered_households(user, unit), uncovered_households=Count("pk"))
    # Representatives and their active link counts: two flat queries summed in
    # Python (one row per representative), cheaper than a correlated count.
    reps = list(
        representatives_visible_to(user)
        .filter(unit__path__startswith=unit.path, term_end__isnull=True)
        .values_list("pk", "unit_id")
    )
    active_links = current_links()
    if len(reps) <= 5000:
        active_links = active_links.filter(representative_id__in=[pk for pk, _u in reps])
    # else: counting every active link (an index-only scan) beats joining the
    # links to their representatives' units for a county-sized subtree.
    link_counts = dict(
        active_links.values_list("representative_id").annotate(n=Count("pk")).order_by()
    )
    lo, hi = settings.LINLI["LINK_MIN"], settings.LINLI["LINK_MAX"]
    for rep_id, unit_id in reps:
        path = subtree.get(unit_id)
        if path is None:
            continue
        n = link_counts.get(rep_id, 0)
        out = not (lo <= n <= hi)
        for row in (total, rows.get(path_at(path, child_depth))):
            if row is not None:
                row.representatives += 1
                row.representatives_out_of_range += out
    tally(
        places_visible_to(user).filter(unit__path__startswith=unit.path),
        places=Count("pk"),
        unassigned_places=Count("pk", filter=Q(representative__isnull=True)),
    )
    return Coverage(total=total, children=[rows[c.path] for c in children])


@dataclass
class HomeSummary:
    households: int
    uncovered_households: int
    representatives: int
    my_households: list[Household]


def home_summary(user) -> HomeSummary:
    """The few numbers a user's home page leads with."""
    scope = scope_for(user)
    my: list[Household] = []
    if scope.representative_ids:
        my = list(
            Household.objects.filter(
                Q(links__representative_id__in=scope.representative_ids) & current_link_q("links__")
            )
            .select_related("unit")
            .order_by("id")[:50]
        )
    visible = households_visible_to(user)
    active = current_links().filter(household=OuterRef("pk"))
    return HomeSummary(
        households=visible.count(),
        uncovered_households=visible.filter(~Exists(active)).count(),
        representatives=representatives_visible_to(user).filter(term_end__isnull=True).count(),
        my_households=my,
    )


def households_filtered(
    user, *, unit: Unit | None = None, q: str = "", tag: str = "", covered: bool | None = None
) -> QuerySet[Household]:
    """The household list's filters, shared by the page, the API and the export."""
    qs = households_visible_to(user)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    term = (q or "").strip()
    if term:
        qs = qs.filter(
            Q(head_name__contains=term)
            | Q(address__contains=term)
            | Q(search_key__contains=term.lower())
        )
    if tag:
        # A match on the JSON text works on SQLite and PostgreSQL alike.
        qs = qs.filter(tags__icontains=f'"{tag}"')
    if covered is not None:
        active = current_links().filter(household=OuterRef("pk"))
        qs = qs.filter(Exists(active) if covered else ~Exists(active))
    return qs.order_by("unit__path", "id")


def own_representatives(user: object) -> list[Representative]:
    """The representative records the user's account serves as (usually one; two for
    someone holding two seats), with their units, in a stable order."""
    ids = scope_for(user).representative_ids
    if not ids:
        return []
    return list(Representative.objects.filter(pk__in=ids).select_related("unit").order_by("pk"))
