"""Request and response shapes of the deliberation API."""

import datetime as dt
from typing import Annotated

import annotated_types
from django.urls import reverse
from ninja import Field, Schema

from linli.core.api_schemas import choices_text as _choices
from linli.core.inputs import Day, Id, Line, Search, Text, bounded

from .models import Source, Stage
from .selectors import public_history

Title = Annotated[str, Line(200)]
Note = Annotated[str, Text(1000)]
LongText = Annotated[str, Text(4000)]
People = Annotated[int, bounded(0, 100000)]
Fraction = Annotated[int, bounded(1, 100)]
Version = Annotated[int, bounded(1, 2**31 - 1)]
MaxAppeals = annotated_types.MaxLen(200)

VERSION = Field(
    None, description="The version you last saw: a change made meanwhile answers 409 `stale`."
)


# --- the catalogue and the rule ---------------------------------------------------------------


class MatterOut(Schema):
    id: int
    unit_id: int
    unit_name: str = Field(alias="unit.name")
    code: str
    title: str
    description: str
    active: bool


class MatterIn(Schema):
    unit_id: Id = Field(
        description="The unit whose catalogue it joins (a town's: all its villages)."
    )
    code: Annotated[str, Line(30)]
    title: Annotated[str, Line(100)]
    description: Annotated[str, Text(2000)] = ""


class MatterQuery(Schema):
    unit: Id | None = Field(None, description="The catalogue that applies at this unit.")
    all: bool = Field(False, description="Retired entries too.")


class VotingRuleOut(Schema):
    unit_id: int
    quorum_num: int
    quorum_den: int
    majority_num: int
    majority_den: int
    serving: int = Field(description="Representatives serving in the village now.")
    default: bool = Field(description="No rule was set: the defaults apply.")


class VotingRuleIn(Schema):
    quorum_num: Fraction = Field(description="Quorum: this share of the serving ...")
    quorum_den: Fraction = Field(description="... must be present (default 2/3).")
    majority_num: Fraction = Field(description="Adopted: more than this share of those ...")
    majority_den: Fraction = Field(description="... present voting for (default 1/2).")


# --- items ---------------------------------------------------------------------------------


class DeliberationItemFilters(Schema):
    stage: Stage | None = Field(None, description=_choices(Stage))
    unit: Id | None = Field(None, description="Items of this unit and below.")
    q: Search = Field("", description="Words in the title or description.")


class MeetingRef(Schema):
    id: int
    title: str
    place: str
    starts_at: dt.datetime


class DeliberationItemOut(Schema):
    id: int
    unit_id: int
    unit_name: str = Field(alias="unit.name")
    title: str
    description: str
    matter_id: int | None
    source: Source
    stage: Stage
    meeting: MeetingRef | None
    activity_id: int | None
    present: int | None
    votes_for: int | None
    votes_against: int | None
    votes_abstain: int | None
    passed: bool | None
    decision: str
    decided_at: dt.datetime | None
    notice_days: int
    published_at: dt.datetime | None
    published_until: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ItemEventOut(Schema):
    action: str
    from_stage: str
    to_stage: str
    actor: str = Field(alias="actor_label")
    note: str
    data: dict
    at: dt.datetime
    photos: list[str]

    @staticmethod
    def resolve_photos(obj) -> list[str]:
        return [reverse("deliberation:photo", kwargs={"pk": p.pk}) for p in obj.photos.all()]


class VoteOut(Schema):
    meeting_id: int | None
    serving: int
    present: int
    votes_for: int
    votes_against: int
    votes_abstain: int
    quorum_met: bool
    passed: bool
    rule: str
    at: dt.datetime


class DeliberationItemDetailOut(DeliberationItemOut):
    events: list[ItemEventOut]
    votes: list[VoteOut]
    appeals: list[str] = Field(description="Case codes of the appeals it was proposed from.")

    @staticmethod
    def resolve_events(obj) -> list:
        return list(obj.events.prefetch_related("photos").order_by("at", "id"))

    @staticmethod
    def resolve_votes(obj) -> list:
        return list(obj.votes.order_by("at", "id"))

    @staticmethod
    def resolve_appeals(obj) -> list[str]:
        return [link.appeal.code for link in obj.appeal_links.select_related("appeal")]


class DeliberationItemIn(Schema):
    unit_id: Id = Field(description="The village (or community).")
    title: Title
    description: LongText = ""
    matter_id: Id | None = Field(None, description="The catalogue entry it falls under.")
    appeal_ids: Annotated[list[Id], MaxAppeals] = Field(
        [], description="Propose from these appeals of the village (linked, and told the decision)."
    )
    activity_id: Id | None = Field(None, description="Proposed at this activity of the village.")


class ScheduleIn(Schema):
    meeting_id: Id = Field(description="A deliberation meeting (activity) of the village.")
    note: Note = ""
    version: Version | None = VERSION


class DiscussIn(Schema):
    note: LongText
    version: Version | None = VERSION


class VoteIn(Schema):
    present: People
    votes_for: People
    votes_against: People
    votes_abstain: People
    note: Note = ""
    version: Version | None = VERSION


class DecideIn(Schema):
    decision: LongText
    version: Version | None = VERSION


class ProgressIn(Schema):
    note: LongText
    version: Version | None = VERSION


class ItemNoteIn(Schema):
    note: Note = ""
    version: Version | None = VERSION


class WithdrawItemIn(Schema):
    note: Note = Field(description="Why it is withdrawn.")
    version: Version | None = VERSION


class PublishIn(Schema):
    notice_days: Annotated[int, bounded(1, 365)] | None = Field(
        None, description="Days of public notice (default the item's, 7)."
    )
    version: Version | None = VERSION


# --- appeal groups ---------------------------------------------------------------------------


class AppealGroupQuery(Schema):
    unit: Id = Field(description="The village.")
    days: Annotated[int, bounded(1, 366)] = Field(
        60, description="Appeals filed this recently (or still open)."
    )


class GroupAppealOut(Schema):
    id: int
    code: str
    title: str
    status: str
    address: str
    created_at: dt.datetime


class AppealGroupOut(Schema):
    category: str
    place: str
    size: int
    appeals: list[GroupAppealOut]
    item_ids: list[int]

    @staticmethod
    def resolve_item_ids(obj) -> list[int]:
        return [it.pk for it in obj.items]


# --- undeliberated decisions, comments --------------------------------------------------------


class SkippedOut(Schema):
    id: int
    unit_id: int
    unit_name: str = Field(alias="unit.name")
    matter_id: int
    matter_title: str = Field(alias="matter.title")
    decided: str
    decided_on: dt.date
    evidence: str
    recorded_by: str
    created_at: dt.datetime

    @staticmethod
    def resolve_recorded_by(obj) -> str:
        return obj.recorded_by.name if obj.recorded_by else ""


class SkippedIn(Schema):
    unit_id: Id = Field(description="The village that decided.")
    matter_id: Id
    decided: Annotated[str, Text(2000)]
    decided_on: Day
    evidence: Annotated[str, Text(2000)] = ""


class HideIn(Schema):
    reason: Annotated[str, Line(200)]


class CommentOut(Schema):
    id: int
    name: str
    text: str
    created_at: dt.datetime
    hidden: bool

    @staticmethod
    def resolve_hidden(obj) -> bool:
        return obj.hidden_at is not None


class CommentIn(Schema):
    name: Annotated[str, Line(50)]
    text: Annotated[str, Text(1000)]


# --- the public notice board ---------------------------------------------------------------------


class PublicItemOut(Schema):
    id: int
    unit_name: str = Field(alias="unit.name")
    title: str
    matter: str
    present: int | None
    votes_for: int | None
    votes_against: int | None
    votes_abstain: int | None
    passed: bool | None
    decision: str
    published_at: dt.datetime | None
    published_until: dt.datetime | None

    @staticmethod
    def resolve_matter(obj) -> str:
        return obj.matter.title if obj.matter else ""


class PublicEventOut(Schema):
    """A step of the public history: no names of who acted."""

    action: str
    to_stage: str
    note: str
    data: dict
    at: dt.datetime
    photos: list[str]

    @staticmethod
    def resolve_photos(obj) -> list[str]:
        return [reverse("deliberation:photo", kwargs={"pk": p.pk}) for p in obj.photos.all()]


class PublicItemDetailOut(PublicItemOut):
    description: str
    progress: list[PublicEventOut]
    comments: list[CommentOut]

    @staticmethod
    def resolve_progress(obj) -> list:
        return list(public_history(obj))

    @staticmethod
    def resolve_comments(obj) -> list:
        return list(obj.comments.filter(hidden_at__isnull=True).order_by("created_at", "id"))
