"""The appeals' rollup (`appeals.tally`): the rates it gives equal the raw rates on the
hand-made set of test_rates_honest (and so its hand-worked values), and a write is in
the next read, also one committed while a rebuild was reading."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from linli.appeals import selectors, services, tally
from linli.appeals.models import Appeal, AppealTally, AppealTallyDay, Urgency
from linli.appeals.tasks import appeals_tally
from tests.appeals.handmade import T, at
from tests.support.factories import RESIDENT_PHONE

pytestmark = pytest.mark.django_db

FIRST, LAST = T.date() - dt.timedelta(days=1), T.date() + dt.timedelta(days=3)


def _raw(unit):
    tz = T.tzinfo
    start = dt.datetime.combine(FIRST, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(LAST + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return selectors._rates_over(Appeal.objects.all(), unit, start, end)


def _same(a, b):
    ta, ca = a
    tb, cb = b
    assert ta.as_dict() == tb.as_dict()
    assert [c.as_dict() for c in ca] == [c.as_dict() for c in cb]


def test_the_rollup_gives_the_raw_rates_for_the_city_and_a_town(handmade, actors):
    city, town = actors.county.city, actors.county.town_a
    with at(48):
        for unit in (city, town):
            raw = _raw(unit)
            rolled = selectors.subtree_rates(unit, FIRST, LAST)
            _same(rolled, raw)
        total, children = selectors.subtree_rates(city, FIRST, LAST)
    # The hand-worked values of test_rates_honest, through the rollup.
    assert (total.filed, total.resolved, total.resolved_on_time) == (6, 4, 3)
    assert (total.responded_on_time, total.response_counted) == (4, 7)
    assert (total.rated, total.satisfied_first, total.satisfied_final) == (3, 2, 3)
    assert (total.ratings, total.ratings_satisfied) == (4, 3)
    assert total.mean_hours_to_resolve == 12.0
    assert total.resolved_at_level == {"group": 3, "village": 1, "town": 0, "city": 0}
    assert (total.open, total.overdue) == (2, 2)
    assert [c.unit for c in children] == [town]
    # The filing day's row (T is 09:00): nine filed, and five closed that day: A1
    # (rated at 11 h), A3 (rated 5 at 13 h), A5 (merged at 6 h; its close at 4 h was
    # undone by its reopening), A7 and A8 (withdrawn). A2, rated at 21 h, closed the
    # next morning.
    row = AppealTally.objects.get(day=T.date())
    assert (row.created, row.closed) == (9, 5)
    assert AppealTally.objects.get(day=T.date() + dt.timedelta(days=1)).closed == 1


def test_a_village_reads_the_appeals_themselves(handmade, actors):
    village = actors.county.village_a
    with at(48):
        rolled = selectors.subtree_rates(village, FIRST, LAST)
        assert not AppealTallyDay.objects.exists()  # no rollup below the towns
        _same(rolled, _raw(village))


def test_a_write_is_in_the_next_read(
    handmade, actors, file_appeal, django_capture_on_commit_callbacks
):
    city = actors.county.city
    with at(48):
        before, _ = selectors.subtree_rates(city, FIRST, LAST)
        built = AppealTallyDay.objects.get(day=T.date())
        assert built.built == built.dirty
    # Filed two days after the others: that day (built by the read above) is marked.
    with at(49), django_capture_on_commit_callbacks(execute=True):
        file_appeal(urgency=Urgency.URGENT)
    day = AppealTallyDay.objects.get(day=(T + dt.timedelta(hours=49)).date())
    assert day.dirty > day.built  # marked, not rebuilt yet
    with at(49):
        after, _ = selectors.subtree_rates(city, FIRST, LAST)
        _same((after, _), _raw(city))
    assert after.filed == before.filed + 1
    assert after.open == before.open + 1


def test_a_rating_and_a_reopening_change_the_days_they_touch(
    handmade, actors, django_capture_on_commit_callbacks
):
    """A4 (resolved at 6 h) is rated 5 two days later: closed that day. A1 (closed on
    the filing day) is reopened three days later: the filing day counts one closed
    appeal fewer, and A1 is no longer resolved."""
    city = actors.county.city
    with at(48):
        selectors.subtree_rates(city, FIRST, LAST)
    with at(50), django_capture_on_commit_callbacks(execute=True):
        services.appeal_act(
            actor=None,
            appeal=handmade[4],
            action="rate",
            rating=5,
            resident_phone=RESIDENT_PHONE,
        )
    with at(74), django_capture_on_commit_callbacks(execute=True):
        services.appeal_act(
            actor=actors.fresh(actors.village),
            appeal=Appeal.objects.get(pk=handmade[1].pk),
            action="reopen",
            note="居民再次反映",
        )
    with at(75):
        rolled = selectors.subtree_rates(city, FIRST, LAST)
        _same(rolled, _raw(city))
    total = rolled[0]
    assert total.resolved == 3  # A2 A3 A4; A1 is open again
    assert (total.rated, total.satisfied_first) == (4, 3)
    rows = {r.day: r for r in AppealTally.objects.all()}
    assert rows[T.date()].closed == 4  # A1's close on the filing day undone
    assert rows[(T + dt.timedelta(hours=50)).date()].closed == 1  # A4, rated 5


def test_a_write_committed_during_a_rebuild_leaves_the_day_to_rebuild(
    handmade, actors, monkeypatch
):
    """The rebuild reads the day's counter before the appeals: a write that commits
    (and marks the day) while the rebuild reads is not lost, the day stays dirty."""
    real = tally._compute

    def compute_while_a_write_commits(first, last, wanted):
        out = real(first, last, wanted)
        tally._bump(sorted(wanted))  # what a writer's on_commit does meanwhile
        return out

    with at(48):
        monkeypatch.setattr(tally, "_compute", compute_while_a_write_commits)
        assert tally.ensure(FIRST, LAST) >= 1
        monkeypatch.setattr(tally, "_compute", real)
        day = AppealTallyDay.objects.get(day=T.date())
        assert day.dirty > day.built
        # The tick rebuilds it; then it is current.
        assert appeals_tally() >= 1
        assert appeals_tally() == 0
        day.refresh_from_db()
        assert day.dirty == day.built


def test_the_command_builds_history_and_says_how_long(handmade):
    out = io.StringIO()
    with at(48):
        call_command("appeals_tally", "--since", str(FIRST), stdout=out)
        assert "days built" in out.getvalue()
        assert AppealTallyDay.objects.filter(day=T.date(), built__gt=0).exists()
        out = io.StringIO()
        call_command("appeals_tally", "--since", str(FIRST), "--all", stdout=out)
        assert out.getvalue().startswith("appeals rollup: ")
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        call_command("appeals_tally", "--since", "yesterday")


def test_whole_months_come_from_the_month_rows(
    handmade, actors, django_capture_on_commit_callbacks
):
    """February to April: three whole months, read from the month rows (sums of the
    day rows), equal to the raw rates; a later rating changes March's row."""
    city = actors.county.city
    first, last = dt.date(2026, 2, 1), dt.date(2026, 4, 30)
    tz = T.tzinfo
    bounds = (
        dt.datetime.combine(first, dt.time.min, tzinfo=tz),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )
    with at(48):
        rolled = selectors.subtree_rates(city, first, last)
        _same(rolled, selectors._rates_over(Appeal.objects.all(), city, *bounds))
    march = AppealTally.objects.get(month=True, day=dt.date(2026, 3, 1))
    assert (march.created, march.filed, march.rated) == (9, 6, 3)
    with at(50), django_capture_on_commit_callbacks(execute=True):
        services.appeal_act(
            actor=None, appeal=handmade[4], action="rate", rating=2, resident_phone=RESIDENT_PHONE
        )
    with at(51):
        rolled = selectors.subtree_rates(city, first, last)
        _same(rolled, selectors._rates_over(Appeal.objects.all(), city, *bounds))
    march = AppealTally.objects.get(month=True, day=dt.date(2026, 3, 1))  # rebuilt
    assert (march.rated, march.satisfied_first) == (4, 2)


def test_the_rows_of_a_range_cover_each_day_once():
    d = dt.date
    assert tally._span_q(d(2026, 1, 15), d(2026, 4, 10)) == (
        tally.Q(month=True, day__in=[d(2026, 2, 1), d(2026, 3, 1)])
        | tally.Q(month=False, day__gte=d(2026, 1, 15), day__lt=d(2026, 2, 1))
        | tally.Q(month=False, day__gt=d(2026, 3, 31), day__lte=d(2026, 4, 10))
    )
    assert tally._span_q(d(2026, 2, 1), d(2026, 2, 27)) == tally.Q(
        month=False, day__gte=d(2026, 2, 1), day__lte=d(2026, 2, 27)
    )
