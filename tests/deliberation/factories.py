"""Deliberation test data: meetings (an `activities.Activity` of kind deliberation,
created directly: the activities app owns its services), cadres, items."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from linli.accounts.models import Role
from linli.activities.models import Activity, ActivityKind
from linli.deliberation import services
from tests.support.roles import make_user

_seq = itertools.count(1)


# Meetings are held before their discussion and vote are recorded: the factory's days
# count from a month ago, so every meeting has taken place and their order is kept.
HELD_BEFORE = dt.timedelta(days=30)


def meeting(village, *, days: int = 1, title: str = "睦邻议事会", **kw) -> Activity:
    """A deliberation meeting in `village`, on day `days` of the past month (all held)."""
    return Activity.objects.create(
        unit=village,
        kind=kw.pop("kind", ActivityKind.DELIBERATION),
        title=title,
        place=kw.pop("place", "村部"),
        starts_at=timezone.now() - HELD_BEFORE + dt.timedelta(days=days),
        **kw,
    )


def cadre(unit, role: Role = Role.VILLAGE, name: str = "村干部"):
    return make_user(f"1580000{next(_seq):04d}", name, role, unit)


def item(county, actor, **kw):
    kw.setdefault("unit", county.village_a)
    kw.setdefault("title", "修缮一组村道")
    return services.item_propose(actor=actor, **kw)


def decided_item(county, actor, *, passed: bool = True, reps: int = 0, **kw):
    """An item taken to its decision at one meeting (village A, its serving reps all
    present)."""
    from linli.deliberation import selectors

    it = item(county, actor, **kw)
    m = meeting(county.village_a)
    services.item_schedule(actor=actor, item=it, meeting=m)
    services.item_discuss(actor=actor, item=it, note="讨论了")
    serving = selectors.serving_count(county.village_a)
    votes_for = serving if passed else 0
    services.item_vote(
        actor=actor,
        item=it,
        present=serving,
        votes_for=votes_for,
        votes_against=serving - votes_for,
        votes_abstain=0,
    )
    return services.item_decide(actor=actor, item=it, decision="同意" if passed else "不同意")
