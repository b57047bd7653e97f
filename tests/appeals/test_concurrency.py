"""Races on PostgreSQL row locks: two claims at once, two ticks at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import F

from linli.appeals import services
from linli.appeals.models import Appeal, Level
from linli.core.errors import DomainError
from tests.support.race import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_two_claims_at_once_exactly_one_wins(actors, file_appeal):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race runs in the PostgreSQL pass")
    appeal = file_appeal(household=actors.county.households_a[6])  # unassigned: both may claim
    rep = actors.fresh(actors.rep)
    leader = actors.fresh(actors.group_leader)
    outcomes = race(
        [
            lambda: services.appeal_act(actor=rep, appeal=appeal, action="claim"),
            lambda: services.appeal_act(actor=leader, appeal=appeal, action="claim"),
        ]
    )
    wins = [o for o in outcomes if isinstance(o, Appeal)]
    losses = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(wins) == 1 and len(losses) == 1
    assert losses[0].code == "already_claimed" and losses[0].status == 409
    appeal.refresh_from_db()
    assert appeal.events.filter(action="claim").count() == 1
    assert appeal.assignee_id in (rep.pk, leader.pk)
    assert wins[0].assignee_id == appeal.assignee_id


def test_two_ticks_at_once_escalate_each_overdue_appeal_once(actors, file_appeal):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race runs in the PostgreSQL pass")
    appeals = [file_appeal() for _ in range(12)]
    for a in appeals:
        services.appeal_act(actor=actors.fresh(actors.rep), appeal=a, action="claim")
    late = max(Appeal.objects.values_list("due_at", flat=True)) + dt.timedelta(minutes=1)
    outcomes = race([lambda: services.appeals_tick(now=late) for _ in range(3)])
    assert sum(o["escalated"] for o in outcomes) == 12
    for a in appeals:
        a.refresh_from_db()
        assert a.level == Level.VILLAGE
        assert a.events.filter(action="escalate").count() == 1
        assert a.events.filter(action="overdue").count() == 1


def _uploads(n: int, color: int = 0):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.support.factories import png_bytes

    return [
        SimpleUploadedFile(f"p{i}.png", png_bytes(color=(color, i * 40, 90)), "image/png")
        for i in range(n)
    ]


@pytest.mark.parametrize(("have", "batches"), [(2, [4, 4]), (5, [1, 1, 1, 1]), (2, [4, 4, 4, 4])])
def test_photo_uploads_at_once_never_pass_the_limit(actors, file_appeal, have, batches):
    """Issue 11: the count was read before the row lock, so uploads at once all passed."""
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race runs in the PostgreSQL pass")
    from django.conf import settings

    from linli.appeals.models import AppealPhoto

    limit = settings.LINLI["PHOTO_MAX_COUNT"]
    appeal = file_appeal(photos=_uploads(have)) if have else file_appeal()
    assert appeal.photos.count() == have
    rep = actors.rep

    def upload(i: int, n: int):
        files = _uploads(n, color=i * 30)
        return lambda: services.appeal_act(
            actor=actors.fresh(rep),
            appeal=Appeal.objects.get(pk=appeal.pk),
            action="note",
            note=f"batch {i}",
            photos=files,
        )

    outcomes = race([upload(i, n) for i, n in enumerate(batches)])
    wins = [o for o in outcomes if isinstance(o, Appeal)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(wins) + len(refused) == len(batches)
    assert all(o.code == "photo_count" for o in refused)
    total = AppealPhoto.objects.filter(appeal_id=appeal.pk).count()
    assert total <= limit
    assert total == have + sum(batches[outcomes.index(w)] for w in wins)
    assert len(wins) == 1  # room for exactly one batch in every case here


def test_two_rollup_rebuilds_of_the_same_days_at_once(actors, file_appeal):
    """The reads of two leaders and the tick may rebuild the same days together: the
    row locks put them one after the other, nobody fails, each row is there once."""
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race runs in the PostgreSQL pass")
    from django.utils import timezone

    from linli.appeals import selectors, tally
    from linli.appeals.models import AppealTally, AppealTallyDay

    for i in range(6):
        file_appeal(household=actors.county.households_a[i % 3])
    today = timezone.localdate()
    first = today - dt.timedelta(days=40)
    for _round in range(3):
        AppealTallyDay.objects.update(dirty=F("dirty") + 1)
        outcomes = race([lambda: tally.ensure(first, today) for _ in range(3)])
        assert all(isinstance(o, int) for o in outcomes), outcomes
        assert sum(outcomes) >= 1
    keys = list(AppealTally.objects.values_list("month", "day", "path"))
    assert len(keys) == len(set(keys))
    total, _children = selectors.subtree_rates(actors.county.city, first, today)
    assert total.filed == 6
