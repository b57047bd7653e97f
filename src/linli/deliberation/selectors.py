"""Every read of the deliberation list, scoped by `policy` (404 for "not yours")."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.scope import scope_for
from linli.activities import selectors as activity_selectors
from linli.activities.models import Activity, ActivityKind, ActivityStatus
from linli.appeals import selectors as appeal_selectors
from linli.appeals.models import Appeal, Status
from linli.core.errors import NotFound
from linli.org.models import VILLAGE_DEPTH, Representative, Unit, UnitKind

from . import policy
from .models import (
    Comment,
    Item,
    ItemAppeal,
    ItemEvent,
    Matter,
    SkippedDeliberation,
    Stage,
    VotingRule,
)

VILLAGE_KINDS = (UnitKind.VILLAGE, UnitKind.COMMUNITY)
# How long an item stays on the public board after its notice period ended.
RECENT_DAYS = 30
# Appeals that never reach the agenda: duplicates and those withdrawn by the resident.
NOT_GROUPED = (Status.MERGED, Status.WITHDRAWN)


# --- units -----------------------------------------------------------------------------


def units_visible_to(user) -> QuerySet[Unit]:
    return Unit.objects.filter(policy.units_q(user))


def unit_get(user, pk) -> Unit:
    unit = units_visible_to(user).filter(pk=pk).first()
    if unit is None:
        raise NotFound(_("Unit not found."))
    return unit


def villages_visible_to(user) -> QuerySet[Unit]:
    return units_visible_to(user).filter(kind__in=VILLAGE_KINDS).order_by("path")


def village_get(user, pk) -> Unit:
    unit = villages_visible_to(user).filter(pk=pk).first()
    if unit is None:
        raise NotFound(_("Village not found."))
    return unit


def default_unit(user) -> Unit | None:
    """Where the user's list starts: the top unit of their scope."""
    return units_visible_to(user).order_by("depth", "path").first()


# --- the catalogue ----------------------------------------------------------------------


def matters_for(unit: Unit, *, active_only: bool = True) -> QuerySet[Matter]:
    """The catalogue that applies at `unit`: the entries of its own and of every unit
    above it (a village inherits its town's and the city's)."""
    qs = Matter.objects.filter(unit__path__in=unit.ancestor_paths()).select_related("unit")
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("unit__depth", "code", "id")


def matter_get(user, pk, unit: Unit | None = None) -> Matter:
    """A catalogue entry defined at a unit the user sees or above it; with `unit`, one that
    applies there."""
    qs = Matter.objects.select_related("unit")
    matter = qs.filter(pk=pk).first()
    if matter is None:
        raise NotFound(_("Catalogue matter not found."))
    if unit is not None:
        applies = unit.path.startswith(matter.unit.path)
    else:
        applies = (
            units_visible_to(user).filter(path__startswith=matter.unit.path).exists()
            or units_visible_to(user).filter(path__in=matter.unit.ancestor_paths()).exists()
        )
    if not applies:
        raise NotFound(_("Catalogue matter not found."))
    return matter


# --- voting rules, meetings, representatives ------------------------------------------------


def voting_rule_for(unit: Unit) -> VotingRule:
    """The village's rule, or the default (unsaved) when it has none."""
    return VotingRule.objects.filter(unit=unit).first() or VotingRule(unit=unit)


def serving_count(village: Unit) -> int:
    """Representatives serving now in the village (its groups and areas included)."""
    return Representative.objects.filter(
        unit__path__startswith=village.path, term_end__isnull=True
    ).count()


def meetings_for(village: Unit) -> QuerySet[Activity]:
    """Deliberation meetings held in the village (not cancelled)."""
    return (
        Activity.objects.filter(unit__path__startswith=village.path, kind=ActivityKind.DELIBERATION)
        .exclude(status=ActivityStatus.CANCELLED)
        .order_by("-starts_at", "-id")
    )


def meeting_visible(user, pk: int | None) -> Activity | None:
    """A deliberation meeting the user sees (the activities' rule), for `?meeting=`."""
    if pk is None:
        return None
    return (
        activity_selectors.activities_visible_to(user)
        .filter(pk=pk, kind=ActivityKind.DELIBERATION)
        .first()
    )


def meeting_get(village: Unit, pk) -> Activity:
    meeting = meetings_for(village).filter(pk=pk).first()
    if meeting is None:
        raise NotFound(_("No such deliberation meeting in this village."))
    return meeting


# --- items ------------------------------------------------------------------------------


def items_visible_to(user) -> QuerySet[Item]:
    return Item.objects.filter(policy.view_q(user)).select_related("unit", "matter", "meeting")


def item_get(user, pk) -> Item:
    item = items_visible_to(user).filter(pk=pk).first()
    if item is None:
        raise NotFound(_("Deliberation item not found."))
    return item


def items_filtered(
    user, *, stage: str = "", unit: Unit | None = None, q: str = "", meeting: int | None = None
) -> QuerySet[Item]:
    qs = items_visible_to(user)
    if meeting is not None:
        qs = qs.filter(meeting_id=meeting)
    if stage:
        qs = qs.filter(stage=stage)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q))
    return qs.order_by("-updated_at", "-id")


def history(item: Item) -> QuerySet[ItemEvent]:
    return item.events.select_related("actor").prefetch_related("photos").order_by("at", "id")


# What the public notice shows of an item's history: the vote and what came of it. Who
# proposed, scheduled or discussed it, and the names of those who acted, stay inside.
PUBLIC_ACTIONS = ("vote", "decide", "progress", "complete", "publish")


def public_history(item: Item) -> QuerySet[ItemEvent]:
    return history(item).filter(action__in=PUBLIC_ACTIONS)


def linked_appeals(item: Item) -> QuerySet[ItemAppeal]:
    return item.appeal_links.select_related("appeal", "appeal__category").order_by("appeal_id")


def item_photo_get(user, pk) -> object:
    from .models import ItemPhoto

    photo = ItemPhoto.objects.select_related("item__unit").filter(pk=pk).first()
    if photo is None:
        raise NotFound(_("Photo not found."))
    if is_public(photo.item) or policy.can_view(user, photo.item):
        return photo
    raise NotFound(_("Photo not found."))


def stage_counts(user, unit: Unit | None = None) -> dict[str, int]:
    qs = items_visible_to(user)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return {row["stage"]: row["n"] for row in qs.order_by().values("stage").annotate(n=Count("id"))}


# --- appeals grouped by category and place -------------------------------------------------

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def place_key(address: str) -> str:
    """An address reduced for grouping: width-folded, without spaces or punctuation."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", address or "")).lower()


@dataclass
class AppealGroup:
    category: str
    place: str  # the address as first written, or the unit it came from
    appeals: list[Appeal] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)  # items already proposed from them

    @property
    def size(self) -> int:
        return len(self.appeals)

    @property
    def ids(self) -> list[int]:
        return [a.pk for a in self.appeals]


def appeal_groups(user, village: Unit, *, days: int = 60) -> list[AppealGroup]:
    """The village's open and recent appeals (filed in the last `days` days, or still open),
    grouped by category and place (the normalised address; without one, the unit it came
    from). Groups of two or more first, the largest first."""
    since = timezone.now() - dt.timedelta(days=days)
    appeals = (
        appeal_selectors.appeals_visible_to(user)
        .filter(origin_path__startswith=village.path)
        .exclude(status__in=NOT_GROUPED)
        .filter(Q(created_at__gte=since) | Q(status__in=_open_statuses()))
        .select_related("category", "origin_unit")
        .order_by("-created_at", "-id")[:1000]
    )
    groups: dict[tuple[int, str], AppealGroup] = {}
    for appeal in appeals:
        key_place = place_key(appeal.address) or f"unit:{appeal.origin_unit_id}"
        key = (appeal.category_id, key_place)
        group = groups.get(key)
        if group is None:
            group = groups[key] = AppealGroup(
                category=appeal.category.name,
                place=appeal.address or appeal.origin_unit.name,
            )
        group.appeals.append(appeal)
    linked: dict[int, list[Item]] = {}
    all_ids = [a.pk for g in groups.values() for a in g.appeals]
    for link in ItemAppeal.objects.filter(appeal_id__in=all_ids).select_related("item"):
        linked.setdefault(link.appeal_id, []).append(link.item)
    for group in groups.values():
        seen: dict[int, Item] = {}
        for a in group.appeals:
            for it in linked.get(a.pk, []):
                seen[it.pk] = it
        group.items = list(seen.values())
    return sorted(groups.values(), key=lambda g: (g.size < 2, -g.size, g.category, g.place))


def _open_statuses() -> tuple[str, ...]:
    from linli.appeals.models import OPEN_STATUSES

    return tuple(OPEN_STATUSES)


def appeals_for_group(user, village: Unit, ids: list[int]) -> list[Appeal]:
    """The appeals named, each visible to the user and from the village (404 otherwise)."""
    wanted = set(ids)
    found = list(
        appeal_selectors.appeals_visible_to(user).filter(
            pk__in=wanted, origin_path__startswith=village.path
        )
    )
    if len(found) != len(wanted):
        raise NotFound(_("Appeal not found."))
    return found


# --- the public notice board ---------------------------------------------------------------


def is_public(item: Item, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        item.stage == Stage.PUBLISHED
        and item.published_until is not None
        and item.published_until >= now - dt.timedelta(days=RECENT_DAYS)
    )


def public_q(now: dt.datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(stage=Stage.PUBLISHED, published_until__gte=now - dt.timedelta(days=RECENT_DAYS))


def public_unit_get(pk) -> Unit:
    """A town or village whose board anyone may open."""
    unit = Unit.objects.filter(pk=pk, depth__lte=VILLAGE_DEPTH).first()
    if unit is None:
        raise NotFound(_("Unit not found."))
    return unit


def public_board(unit: Unit) -> QuerySet[Item]:
    """Items in the unit's subtree on public notice now or recently, newest first."""
    return (
        Item.objects.filter(public_q(), unit__path__startswith=unit.path)
        .select_related("unit", "matter")
        .annotate(comment_count=Count("comments", filter=Q(comments__hidden_at__isnull=True)))
        .order_by("-published_at", "-id")
    )


def public_item_get(pk) -> Item:
    item = Item.objects.filter(public_q(), pk=pk).select_related("unit", "matter").first()
    if item is None:
        raise NotFound(_("Deliberation item not found."))
    return item


def public_comments(item: Item) -> QuerySet[Comment]:
    return item.comments.filter(hidden_at__isnull=True).order_by("created_at", "id")


def all_comments(item: Item) -> QuerySet[Comment]:
    return item.comments.select_related("hidden_by").order_by("created_at", "id")


def comment_get(user, pk) -> Comment:
    comment = Comment.objects.select_related("item__unit").filter(pk=pk).first()
    if comment is None or not policy.can_view(user, comment.item):
        raise NotFound(_("Comment not found."))
    return comment


# --- undeliberated decisions ----------------------------------------------------------------


def skipped_visible_to(user) -> QuerySet[SkippedDeliberation]:
    return (
        SkippedDeliberation.objects.filter(policy.breaches_q(user))
        .select_related("unit", "matter", "recorded_by")
        .order_by("-decided_on", "-id")
    )


def scope_is_empty(user) -> bool:
    return not scope_for(user).unit_paths and not scope_for(user).is_superuser
