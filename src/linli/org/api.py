"""The organisation API: units, households, members, representatives, links,
places, guard teams and coverage, under /api/v1/.

Handlers are thin: reads start from a selector (already scoped to the user),
writes go through a service (which checks permission and audits). Every id in
a path or payload is fetched through a scoped selector first, so an object
outside the user's scope answers 404 exactly like one that does not exist.
Domain errors propagate to the exception handler in `linli.api`.
"""

from django.db.models import Prefetch, Q, prefetch_related_objects
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from linli.accounts.selectors import bindable_accounts
from linli.core.api_schemas import WRITE_ERRORS, Paged, errors
from linli.core.errors import NotFound
from linli.core.inputs import Id

from . import selectors, services
from .models import HouseholdLink
from .schemas import (
    CoverageOut,
    CoverageQuery,
    EndTermIn,
    HouseholdDetailOut,
    HouseholdFilters,
    HouseholdIn,
    HouseholdOut,
    HouseholdPatch,
    LinkEndIn,
    LinkFilters,
    LinkIn,
    LinkOut,
    MemberFilters,
    MemberIn,
    MemberOut,
    MemberRevealOut,
    PlaceAssignIn,
    PlaceFilters,
    PlaceIn,
    PlaceOut,
    RepresentativeDetailOut,
    RepresentativeFilters,
    RepresentativeIn,
    RepresentativeOut,
    RepresentativePhoneIn,
    TeamFilters,
    TeamIn,
    TeamMemberIn,
    TeamMemberOut,
    TeamOut,
    UnitFilters,
    UnitIn,
    UnitMoveIn,
    UnitOut,
)

router = Router(tags=["org"])


def _one(queryset, pk: int, message: str):
    """The row `pk` of an already scoped queryset, or NotFound (also when out of scope)."""
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise NotFound(message)
    return obj


def _active_links() -> Prefetch:
    """Prefetch each household's current link (with its representative) as `active_links`."""
    return Prefetch(
        "links",
        queryset=selectors.current_links().select_related("representative"),
        to_attr="active_links",
    )


def _subtree(queryset, user, unit_id: int | None, field: str = "unit__path"):
    """Narrow a scoped queryset to a unit's subtree; the unit itself must be visible."""
    if unit_id is None:
        return queryset
    unit = selectors.unit_get(user, unit_id)
    return queryset.filter(**{f"{field}__startswith": unit.path})


# --- units ---------------------------------------------------------------------------------


@router.get(
    "/units",
    response={200: list[UnitOut], **errors(400, 401)},
    tags=["units"],
    summary="List units",
)
@paginate(Paged)
def unit_list(request, filters: Query[UnitFilters]):
    qs = selectors.units_visible_to(request.user)
    if filters.parent is not None:
        qs = qs.filter(parent_id=filters.parent)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        qs = qs.filter(name__contains=filters.q.strip())
    return qs.order_by("path")


@router.get(
    "/units/{unit_id}",
    response={200: UnitOut, **errors(400, 401, 404)},
    tags=["units"],
    summary="Get a unit",
)
def unit_detail(request, unit_id: Id):
    return selectors.unit_get(request.user, unit_id)


@router.get(
    "/units/{unit_id}/children",
    response={200: list[UnitOut], **errors(400, 401, 404)},
    tags=["units"],
    summary="List a unit's direct children",
)
def unit_children(request, unit_id: Id):
    unit = selectors.unit_get(request.user, unit_id)
    return selectors.units_visible_to(request.user).filter(parent=unit).order_by("path")


@router.post(
    "/units",
    response={201: UnitOut, **WRITE_ERRORS},
    tags=["units"],
    summary="Create a unit",
)
def unit_create(request, payload: UnitIn):
    parent = (
        selectors.unit_get(request.user, payload.parent_id)
        if payload.parent_id is not None
        else None
    )
    unit = services.unit_create(
        actor=request.user, parent=parent, kind=payload.kind, name=payload.name, code=payload.code
    )
    return Status(201, unit)


@router.post(
    "/units/{unit_id}/move",
    response={200: UnitOut, **WRITE_ERRORS},
    tags=["units"],
    summary="Move a unit (and everything below it) under another parent",
    description="Codes: `unit_move_cycle`, `unit_kind_order`, `unit_exists`, and "
    "`unit_move_ties` when a household link, a place or a guard team would be split "
    "across villages (`details.ties` names which).",
)
def unit_move(request, unit_id: Id, payload: UnitMoveIn):
    unit = selectors.unit_get(request.user, unit_id)
    parent = selectors.unit_get(request.user, payload.parent_id)
    return services.unit_move(actor=request.user, unit=unit, parent=parent)


# --- households --------------------------------------------------------------------------------


@router.get(
    "/households",
    response={200: list[HouseholdOut], **errors(400, 401, 404)},
    tags=["households"],
    summary="List households",
    description="Each row carries its current representative (null when uncovered).",
)
@paginate(Paged)
def household_list(request, filters: Query[HouseholdFilters]):
    unit = selectors.unit_get(request.user, filters.unit) if filters.unit else None
    # clean_tags accepts a code or its label and refuses unknown tags (400).
    tags = services.clean_tags([filters.tag]) if filters.tag else []
    qs = selectors.households_filtered(
        request.user,
        unit=unit,
        q=filters.q or "",
        tag=tags[0] if tags else "",
        covered=filters.covered,
    )
    return qs.prefetch_related(_active_links())


def _household_detail(user, household_id: int):
    household = selectors.household_get(user, household_id)
    prefetch_related_objects(
        [household],
        _active_links(),
        "members",
        Prefetch(
            "links",
            queryset=HouseholdLink.objects.select_related("representative").order_by(
                "valid_from", "id"
            ),
        ),
    )
    return household


@router.get(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, **errors(400, 401, 404)},
    tags=["households"],
    summary="Get a household with its members and link history",
)
def household_detail(request, household_id: Id):
    return _household_detail(request.user, household_id)


@router.post(
    "/households",
    response={201: HouseholdDetailOut, **errors(400, 401, 403, 404)},
    tags=["households"],
    summary="Create a household",
)
def household_create(request, payload: HouseholdIn):
    unit = selectors.unit_get(request.user, payload.unit_id)
    data = payload.dict(exclude={"unit_id"})
    household = services.household_create(actor=request.user, unit=unit, **data)
    return Status(201, _household_detail(request.user, household.pk))


@router.patch(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, **errors(400, 401, 403, 404)},
    tags=["households"],
    summary="Change a household's head, address, tags or coordinates",
    description="Only the fields sent are changed; send null to clear a coordinate.",
)
def household_update(request, household_id: Id, payload: HouseholdPatch):
    household = selectors.household_get(request.user, household_id)
    services.household_update(
        actor=request.user, household=household, **payload.dict(exclude_unset=True)
    )
    return _household_detail(request.user, household_id)


# --- members ---------------------------------------------------------------------------------------


@router.get(
    "/members",
    response={200: list[MemberOut], **errors(400, 401)},
    tags=["members"],
    summary="List household members (ID number and phone masked)",
)
@paginate(Paged)
def member_list(request, filters: Query[MemberFilters]):
    qs = selectors.members_visible_to(request.user)
    if filters.household is not None:
        qs = qs.filter(household_id=filters.household)
    return qs.order_by("household_id", "id")


@router.get(
    "/members/{member_id}",
    response={200: MemberOut, **errors(400, 401, 404)},
    tags=["members"],
    summary="Get a household member (ID number and phone masked)",
)
def member_detail(request, member_id: Id):
    return selectors.member_get(request.user, member_id)


@router.post(
    "/members",
    response={201: MemberOut, **WRITE_ERRORS},
    tags=["members"],
    summary="Add a member to a household",
    description="The ID number (check digit, birth date) and the mobile number are validated.",
)
def member_create(request, payload: MemberIn):
    household = selectors.household_get(request.user, payload.household_id)
    member = services.member_create(
        actor=request.user, household=household, **payload.dict(exclude={"household_id"})
    )
    return Status(201, member)


@router.post(
    "/members/{member_id}/reveal",
    response={200: MemberRevealOut, **errors(400, 401, 403, 404)},
    tags=["members"],
    summary="Show a member's unmasked ID number and phone (audited)",
)
def member_reveal(request, member_id: Id):
    member = selectors.member_get(request.user, member_id)
    values = services.member_reveal(actor=request.user, member=member)
    return {"id": member.pk, **values}


# --- representatives ---------------------------------------------------------------------------------


def _representatives(user):
    return selectors.with_active_link_count(selectors.representatives_visible_to(user))


@router.get(
    "/representatives",
    response={200: list[RepresentativeOut], **errors(400, 401, 404)},
    tags=["representatives"],
    summary="List representatives with their active household counts",
)
@paginate(Paged)
def representative_list(request, filters: Query[RepresentativeFilters]):
    qs = _subtree(_representatives(request.user), request.user, filters.unit)
    if filters.active is not None:
        qs = qs.filter(term_end__isnull=filters.active)
    return qs.order_by("unit__path", "id")


def _representative_detail(user, representative_id: int):
    rep = selectors.representative_get(user, representative_id)
    rep = _representatives(user).get(pk=rep.pk)
    rep.households = list(
        selectors.households_visible_to(user)
        .filter(Q(links__representative=rep) & selectors.current_link_q("links__"))
        .order_by("id")
    )
    return rep


@router.get(
    "/representatives/{representative_id}",
    response={200: RepresentativeDetailOut, **errors(400, 401, 404)},
    tags=["representatives"],
    summary="Get a representative with the households they serve now",
)
def representative_detail(request, representative_id: Id):
    return _representative_detail(request.user, representative_id)


@router.post(
    "/representatives",
    response={201: RepresentativeDetailOut, **WRITE_ERRORS},
    tags=["representatives"],
    summary="Appoint a resident as representative",
)
def representative_appoint(request, payload: RepresentativeIn):
    member = selectors.member_get(request.user, payload.member_id)
    unit = selectors.unit_get(request.user, payload.unit_id)
    user = None
    if payload.user_id is not None:
        # Missing, or not the appointer's to give (another town's, a superuser, an
        # administrator): the same 404.
        user = _one(bindable_accounts(request.user), payload.user_id, _("User not found."))
    rep = services.representative_appoint(
        actor=request.user, member=member, unit=unit, term_start=payload.term_start, user=user
    )
    return Status(201, _representative_detail(request.user, rep.pk))


@router.post(
    "/representatives/{representative_id}/end-term",
    response={200: RepresentativeDetailOut, **WRITE_ERRORS},
    tags=["representatives"],
    summary="End a representative's term (their households become uncovered)",
)
def representative_end_term(request, representative_id: Id, payload: EndTermIn):
    rep = selectors.representative_get(request.user, representative_id)
    services.representative_end_term(
        actor=request.user, representative=rep, term_end=payload.term_end, reason=payload.reason
    )
    return _representative_detail(request.user, representative_id)


@router.post(
    "/representatives/{representative_id}/phone",
    response={200: RepresentativeDetailOut, **WRITE_ERRORS},
    tags=["representatives"],
    summary="Change a representative's mobile (and their account's login)",
)
def representative_phone(request, representative_id: Id, payload: RepresentativePhoneIn):
    rep = selectors.representative_get(request.user, representative_id)
    services.representative_phone_change(
        actor=request.user, representative=rep, phone=payload.phone
    )
    return _representative_detail(request.user, representative_id)


# --- links -------------------------------------------------------------------------------------------


@router.get(
    "/links",
    response={200: list[LinkOut], **errors(400, 401)},
    tags=["links"],
    summary="List household links (联户), current and past",
)
@paginate(Paged)
def link_list(request, filters: Query[LinkFilters]):
    qs = selectors.links_visible_to(request.user)
    if filters.household is not None:
        qs = qs.filter(household_id=filters.household)
    if filters.representative is not None:
        qs = qs.filter(representative_id=filters.representative)
    if filters.active is not None:
        current = selectors.current_link_q()
        qs = qs.filter(current if filters.active else ~current)
    if filters.on is not None:
        qs = qs.filter(selectors.link_on_q(filters.on))
    return qs.order_by("household_id", "valid_from", "id")


@router.post(
    "/links",
    response={201: LinkOut, **WRITE_ERRORS},
    tags=["links"],
    summary="Link a household to a representative (ends its current link)",
    description=(
        "A change that takes a representative further outside 5-15 households is refused "
        "with 400 `link_out_of_range` unless a reason is given; it is then flagged."
    ),
)
def link_assign(request, payload: LinkIn):
    household = selectors.household_get(request.user, payload.household_id)
    rep = selectors.representative_get(request.user, payload.representative_id)
    link = services.link_assign(
        actor=request.user,
        household=household,
        representative=rep,
        on_date=payload.on_date,
        reason=payload.reason,
    )
    return Status(201, link)


@router.post(
    "/households/{household_id}/link/end",
    response={200: LinkOut, **WRITE_ERRORS},
    tags=["links"],
    summary="End a household's current link (e.g. the family moved away)",
)
def link_end(request, household_id: Id, payload: LinkEndIn):
    household = selectors.household_get(request.user, household_id)
    return services.link_end(
        actor=request.user, household=household, on_date=payload.on_date, reason=payload.reason
    )


# --- places ------------------------------------------------------------------------------------------


@router.get(
    "/places",
    response={200: list[PlaceOut], **errors(400, 401, 404)},
    tags=["places"],
    summary="List places (buildings, schools, hospitals, enterprises)",
)
@paginate(Paged)
def place_list(request, filters: Query[PlaceFilters]):
    qs = _subtree(selectors.places_visible_to(request.user), request.user, filters.unit)
    if filters.assigned is not None:
        qs = qs.filter(representative__isnull=not filters.assigned)
    return qs.order_by("unit__path", "id")


@router.post(
    "/places",
    response={201: PlaceOut, **errors(400, 401, 403, 404)},
    tags=["places"],
    summary="Create a place",
)
def place_create(request, payload: PlaceIn):
    unit = selectors.unit_get(request.user, payload.unit_id)
    rep = (
        selectors.representative_get(request.user, payload.representative_id)
        if payload.representative_id is not None
        else None
    )
    place = services.place_create(
        actor=request.user,
        unit=unit,
        kind=payload.kind,
        name=payload.name,
        address=payload.address,
        representative=rep,
    )
    return Status(201, place)


@router.post(
    "/places/{place_id}/assign",
    response={200: PlaceOut, **errors(400, 401, 403, 404)},
    tags=["places"],
    summary="Give a place a responsible representative (or none)",
)
def place_assign(request, place_id: Id, payload: PlaceAssignIn):
    place = _one(selectors.places_visible_to(request.user), place_id, _("Place not found."))
    rep = (
        selectors.representative_get(request.user, payload.representative_id)
        if payload.representative_id is not None
        else None
    )
    return services.place_assign(actor=request.user, place=place, representative=rep)


# --- guard teams -------------------------------------------------------------------------------------


@router.get(
    "/teams",
    response={200: list[TeamOut], **errors(400, 401, 404)},
    tags=["teams"],
    summary="List guard teams (邻里守心团) with representatives and members",
)
@paginate(Paged)
def team_list(request, filters: Query[TeamFilters]):
    qs = _subtree(selectors.teams_visible_to(request.user), request.user, filters.unit)
    return qs.order_by("unit__path", "id")


@router.post(
    "/teams",
    response={201: TeamOut, **errors(400, 401, 403, 404)},
    tags=["teams"],
    summary="Create a guard team",
)
def team_create(request, payload: TeamIn):
    unit = selectors.unit_get(request.user, payload.unit_id)
    reps = [selectors.representative_get(request.user, pk) for pk in payload.representative_ids]
    team = services.team_create(
        actor=request.user, unit=unit, name=payload.name, representatives=reps
    )
    prefetch_related_objects([team], "representatives", "members")
    return Status(201, team)


@router.post(
    "/teams/{team_id}/members",
    response={201: TeamMemberOut, **errors(400, 401, 403, 404)},
    tags=["teams"],
    summary="Add a member to a guard team",
)
def team_member_add(request, team_id: Id, payload: TeamMemberIn):
    team = _one(selectors.teams_visible_to(request.user), team_id, _("Guard team not found."))
    member = services.team_member_add(
        actor=request.user, team=team, kind=payload.kind, name=payload.name, phone=payload.phone
    )
    return Status(201, member)


# --- coverage ------------------------------------------------------------------------------------------


def _coverage_unit(user, unit_id: int | None):
    if unit_id is not None:
        return selectors.unit_get(user, unit_id)
    root = selectors.root_units_for(user).order_by("path").first()
    if root is None:
        raise NotFound(_("Unit not found."))
    return root


@router.get(
    "/coverage",
    response={200: CoverageOut, **errors(400, 401, 404)},
    tags=["coverage"],
    summary="Coverage of a unit: totals and one row per child unit",
)
def coverage(request, query: Query[CoverageQuery]):
    unit = _coverage_unit(request.user, query.unit)
    return selectors.coverage_for(request.user, unit)


@router.get(
    "/coverage/uncovered",
    response={200: list[HouseholdOut], **errors(400, 401, 404)},
    tags=["coverage"],
    summary="Households of a unit's subtree that no representative serves now",
)
@paginate(Paged)
def coverage_uncovered(request, query: Query[CoverageQuery]):
    unit = _coverage_unit(request.user, query.unit)
    return selectors.uncovered_households(request.user, unit).prefetch_related(_active_links())
