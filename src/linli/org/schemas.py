"""Request and response shapes of the organisation API.

Responses never carry a raw ID card number or phone: members and guard team
members show `id_number_masked` / `phone_masked`. Only the audited
`POST /members/{id}/reveal` returns the raw values (`MemberRevealOut`).
"""

import datetime as dt
from typing import Annotated, Literal

import annotated_types
from ninja import Field, Schema

from linli.core.api_schemas import choices_text as _choices
from linli.core.inputs import BirthDate, Day, Id, Latitude, Line, Longitude, Phone, Search

from .models import (
    GuardTeam,
    Household,
    HouseholdLink,
    MemberKind,
    PlaceKind,
    Relation,
    Representative,
    Sex,
    UnitKind,
)

# Input text bounds: the columns they go to.
UnitName = Annotated[str, Line(100)]
PersonName = Annotated[str, Line(50)]
Address = Annotated[str, Line(200)]
Choice = Annotated[str, Line(20)]
Reason = Annotated[str, Line(200)]
TagCode = Annotated[str, Line(50)]
MaxTags = annotated_types.MaxLen(50)
MaxItems = annotated_types.MaxLen(500)

# --- small references ------------------------------------------------------------------


class UnitRef(Schema):
    id: int
    name: str
    kind: UnitKind


class RepresentativeRef(Schema):
    id: int
    name: str


class HouseholdRef(Schema):
    id: int
    head_name: str
    address: str


def _current_representative(household: Household) -> Representative | None:
    """From the `active_links` prefetch (API list/detail querysets set it)."""
    active = getattr(household, "active_links", None)
    if active is None:
        active = [link for link in household.links.all() if link.valid_to is None]
    return active[0].representative if active else None


# --- units -----------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    parent_id: int | None
    kind: UnitKind
    name: str
    code: str = Field(description="Administrative division code (6, 9 or 12 digits) or empty.")
    depth: int = Field(description="1 for a city, 2 for a town, and so on.")
    path: str = Field(description="Materialised path; a unit's subtree shares its prefix.")


class UnitFilters(Schema):
    parent: Id | None = Field(None, description="Only direct children of this unit id.")
    kind: UnitKind | None = Field(None, description="Only units of this kind.")
    q: Search | None = Field(None, description="Name contains this text.")


class UnitIn(Schema):
    parent_id: Id | None = Field(
        description="Parent unit; null creates a top-level city (superusers only)."
    )
    kind: Choice = Field(
        description=_choices(UnitKind) + "; ranked below the parent's (village under town)."
    )
    name: UnitName
    code: Annotated[str, Line(12)] = ""


class UnitMoveIn(Schema):
    parent_id: Id = Field(
        description="The new parent. The unit's whole subtree moves with it; the caller "
        "needs a write role over both the unit and the new parent."
    )


# --- members ---------------------------------------------------------------------------


class MemberOut(Schema):
    """A household member with ID number and phone masked.

    The birth date is left out on purpose: the masked ID number hides exactly
    its birth-date digits, so showing the date would unmask the number.
    """

    id: int
    household_id: int
    name: str
    sex: Sex | Literal[""] = Field(description="M, F, or empty when unknown.")
    relation: Relation
    id_number_masked: str = Field(description="e.g. 430181********1234")
    phone_masked: str = Field(description="e.g. 138****5678")


class MemberFilters(Schema):
    household: Id | None = Field(None, description="Only members of this household id.")


class MemberIn(Schema):
    household_id: Id
    name: PersonName
    sex: Choice = Field("", description="M or F; derived from the ID number when empty.")
    birth_date: BirthDate | None = Field(
        None, description="Derived from the ID number; refused when it disagrees."
    )
    relation: Choice = Field(Relation.OTHER.value, description=_choices(Relation))
    id_number: Annotated[str, Line(30)] = Field(
        "", description="18-character resident ID number, checked."
    )
    phone: Phone = Field("", description="Mainland mobile number.")


class MemberRevealOut(Schema):
    id: int
    id_number: str
    phone: str


# --- households ------------------------------------------------------------------------


class HouseholdOut(Schema):
    id: int
    unit: UnitRef
    head_name: str
    address: str
    tags: list[str]
    latitude: float | None
    longitude: float | None
    representative: RepresentativeRef | None = Field(
        description="Who serves the household now; null when uncovered."
    )

    @staticmethod
    def resolve_representative(obj: Household) -> Representative | None:
        return _current_representative(obj)


class LinkHistoryOut(Schema):
    id: int
    representative: RepresentativeRef
    valid_from: dt.date
    valid_to: dt.date | None = Field(description="Exclusive; null while the link is current.")
    reason: str
    out_of_range: bool = Field(description="The change left a representative outside 5-15.")


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut]
    links: list[LinkHistoryOut] = Field(description="Link history, oldest first.")

    @staticmethod
    def resolve_members(obj: Household) -> list:
        return list(obj.members.all())

    @staticmethod
    def resolve_links(obj: Household) -> list:
        return list(obj.links.all())


class HouseholdFilters(Schema):
    unit: Id | None = Field(None, description="Only households in this unit and its subtree.")
    tag: TagCode | None = Field(None, description="Only households with this tag code.")
    q: Search | None = Field(
        None, description="Head name or address contains, or pinyin initials (wjg)."
    )
    covered: bool | None = Field(
        None, description="yes: served by a representative now; no: uncovered."
    )


class HouseholdIn(Schema):
    unit_id: Id
    head_name: PersonName
    address: Address
    tags: Annotated[list[TagCode], MaxTags] = Field(
        default_factory=list, description="Tag codes or their labels."
    )
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class HouseholdPatch(Schema):
    head_name: PersonName | None = None
    address: Address | None = None
    tags: Annotated[list[TagCode], MaxTags] | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None


# --- representatives -------------------------------------------------------------------


class RepresentativeOut(Schema):
    id: int
    name: str
    unit: UnitRef
    member_id: int
    user_id: int | None = Field(description="The login account, if any.")
    phone_masked: str
    term_start: dt.date
    term_end: dt.date | None
    active: bool = Field(description="The term has not ended.")
    active_households: int = Field(description="Households served now.")

    @staticmethod
    def resolve_phone_masked(obj: Representative) -> str:
        return obj.member.phone_masked

    @staticmethod
    def resolve_active(obj: Representative) -> bool:
        return obj.term_end is None


class RepresentativeDetailOut(RepresentativeOut):
    households: list[HouseholdRef] = Field(description="Households served now that you may see.")


class RepresentativeFilters(Schema):
    unit: Id | None = Field(None, description="Only representatives of this unit's subtree.")
    active: bool | None = Field(None, description="Serving (true) or past (false) terms.")


class RepresentativeIn(Schema):
    member_id: Id = Field(description="The resident; they must live in the village served.")
    unit_id: Id
    term_start: Day | None = Field(None, description="Defaults to today.")
    user_id: Id | None = Field(None, description="Login account to give the representative.")


class EndTermIn(Schema):
    term_end: Day | None = Field(None, description="Defaults to today.")
    reason: Reason


# --- links -----------------------------------------------------------------------------


class LinkOut(Schema):
    id: int
    household: HouseholdRef
    representative: RepresentativeRef
    valid_from: dt.date
    valid_to: dt.date | None
    reason: str
    out_of_range: bool
    active: bool

    @staticmethod
    def resolve_active(obj: HouseholdLink) -> bool:
        return obj.valid_to is None


class LinkFilters(Schema):
    household: Id | None = None
    representative: Id | None = None
    active: bool | None = Field(None, description="Current links (true) or ended ones (false).")
    on: Day | None = Field(None, description="Links valid on this date.")


class LinkIn(Schema):
    household_id: Id
    representative_id: Id
    on_date: Day | None = Field(None, description="Defaults to today.")
    reason: Reason = Field(
        "", description="Required when the change leaves a representative outside 5-15."
    )


class LinkEndIn(Schema):
    on_date: Day | None = Field(None, description="Defaults to today.")
    reason: Reason


# --- places ------------------------------------------------------------------------------


class PlaceOut(Schema):
    id: int
    unit: UnitRef
    kind: PlaceKind
    name: str
    address: str
    representative: RepresentativeRef | None


class PlaceFilters(Schema):
    unit: Id | None = Field(None, description="Only places in this unit's subtree.")
    assigned: bool | None = Field(None, description="Covered by a representative or not.")


class PlaceIn(Schema):
    unit_id: Id
    kind: Choice = Field(description=_choices(PlaceKind))
    name: UnitName
    address: Address = ""
    representative_id: Id | None = None


class PlaceAssignIn(Schema):
    representative_id: Id | None = Field(description="null removes the representative.")


# --- guard teams ---------------------------------------------------------------------------


class TeamMemberOut(Schema):
    id: int
    kind: MemberKind
    name: str
    phone_masked: str


class TeamOut(Schema):
    id: int
    unit: UnitRef
    name: str
    representatives: list[RepresentativeRef]
    members: list[TeamMemberOut]

    @staticmethod
    def resolve_representatives(obj: GuardTeam) -> list:
        return list(obj.representatives.all())

    @staticmethod
    def resolve_members(obj: GuardTeam) -> list:
        return list(obj.members.all())


class TeamFilters(Schema):
    unit: Id | None = Field(None, description="Only teams in this unit's subtree.")


class TeamIn(Schema):
    unit_id: Id
    name: UnitName
    representative_ids: Annotated[list[Id], MaxItems] = Field(default_factory=list)


class TeamMemberIn(Schema):
    kind: Choice = Field(description=_choices(MemberKind))
    name: PersonName
    phone: Phone = ""


# --- coverage ---------------------------------------------------------------------------------


class CoverageRowOut(Schema):
    unit: UnitRef
    households: int
    uncovered_households: int
    representatives: int
    representatives_out_of_range: int = Field(description="Serving fewer than 5 or over 15.")
    places: int
    unassigned_places: int
    household_rate: float = Field(description="Share of households covered, 0-1.")
    complete: bool = Field(
        description="Fully covered: it has households, and none of them, no representative "
        "and no place is left out. False for a unit without households."
    )


class CoverageOut(Schema):
    total: CoverageRowOut
    children: list[CoverageRowOut]


class CoverageQuery(Schema):
    unit: Id | None = Field(None, description="Unit id; defaults to the top of your scope.")


class RepresentativePhoneIn(Schema):
    phone: Phone = Field(
        max_length=20,
        description="The new registered mobile; the representative's login account follows it.",
    )
