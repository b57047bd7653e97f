"""The tick: reminders, overdue marks, auto-escalation and expired return visits,
each acted on once, across restarts and Chinese statutory holidays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from linli.appeals import services
from linli.appeals.models import Appeal, DeadlinePolicy, Level, Status
from linli.core.errors import Conflict
from linli.notify.models import Outbox
from tests.support.factories import RESIDENT_PHONE
from tests.support.queries import assert_queries_flat

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _events(appeal, action):
    return appeal.events.filter(action=action).count()


def test_overdue_appeal_escalates_once_across_repeated_ticks(actors, file_appeal):
    appeal = file_appeal()
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    appeal.refresh_from_db()
    late = appeal.due_at + dt.timedelta(minutes=1)

    first = services.appeals_tick(now=late)
    # A restart: a new tick with the same clock finds nothing left to do.
    second = services.appeals_tick(now=late)
    third = services.appeals_tick(now=late + dt.timedelta(minutes=5))

    appeal.refresh_from_db()
    assert first["overdue"] == 1 and first["escalated"] == 1
    assert second["overdue"] == 0 and second["escalated"] == 0
    assert third["escalated"] == 0
    assert (appeal.level, appeal.status) == (Level.VILLAGE, Status.PENDING)
    assert _events(appeal, "overdue") == 1
    assert _events(appeal, "escalate") == 1
    assert appeal.events.get(action="escalate").data["by"] == "system"
    # The village's new deadline runs from the escalation.
    assert appeal.due_at > late
    # The level above was told.
    assert Outbox.objects.filter(user=actors.village, kind="appeal.overdue").exists()


def test_no_auto_escalation_where_the_policy_says_not(actors, file_appeal):
    DeadlinePolicy.objects.filter(level="group").update(auto_escalate=False)
    appeal = file_appeal()
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    appeal.refresh_from_db()
    done = services.appeals_tick(now=appeal.due_at + dt.timedelta(seconds=1))
    appeal.refresh_from_db()
    assert done["overdue"] == 1 and done["escalated"] == 0
    assert appeal.level == Level.GROUP and appeal.overdue_at is not None


def test_unclaimed_appeal_is_escalated_when_the_claim_deadline_passes(actors, file_appeal):
    appeal = file_appeal()
    done = services.appeals_tick(now=appeal.claim_due_at + dt.timedelta(seconds=1))
    appeal.refresh_from_db()
    assert done["claim_overdue"] == 1 and done["escalated"] == 1
    assert appeal.level == Level.VILLAGE
    assert _events(appeal, "claim_overdue") == 1


def test_reminder_is_sent_once_before_the_deadline(actors, file_appeal):
    appeal = file_appeal()
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    appeal.refresh_from_db()
    at = appeal.remind_at + dt.timedelta(seconds=1)
    assert services.appeals_tick(now=at)["reminded"] == 1
    assert services.appeals_tick(now=at)["reminded"] == 0
    assert Outbox.objects.filter(user=actors.rep, kind="appeal.remind").count() == 1


def test_suspended_appeal_is_not_overdue(actors, file_appeal):
    appeal = file_appeal()
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    services.appeal_act(actor=actors.rep, appeal=appeal, action="suspend", note="等待材料")
    appeal.refresh_from_db()
    done = services.appeals_tick(now=appeal.due_at + dt.timedelta(days=1))
    assert done["overdue"] == 0


def test_unanswered_return_visit_closes_without_a_rating(actors, file_appeal):
    appeal = file_appeal()
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    services.appeal_act(actor=actors.rep, appeal=appeal, action="resolve", note="已修好")
    appeal.refresh_from_db()
    done = services.appeals_tick(now=appeal.visit_due_at + dt.timedelta(seconds=1))
    assert done["visits_closed"] == 1
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED and appeal.rating is None
    assert appeal.events.get(action="expire_visit").data["no_rating"] is True
    # The resident can no longer rate it.
    with pytest.raises(Conflict):
        services.appeal_act(
            actor=None, appeal=appeal, action="rate", rating=5, resident_phone=RESIDENT_PHONE
        )


def test_working_day_deadline_spans_the_national_day_holiday(actors, file_appeal, monkeypatch):
    """Filed on Wednesday 30 September 2026 with 3 working days: 1-7 October are
    holidays, so the days counted are 8, 9 and Saturday 10 October (a make-up
    working day); the appeal is not overdue during the holiday."""
    filed_at = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: filed_at)
    appeal = file_appeal()
    monkeypatch.undo()

    assert appeal.due_at.astimezone(SHANGHAI).date() == dt.date(2026, 10, 10)
    policy = DeadlinePolicy.objects.get(level="group", urgency="normal")
    assert (policy.resolve_amount, policy.resolve_unit) == (3, "working_days")
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    during_holiday = dt.datetime(2026, 10, 7, 20, 0, tzinfo=SHANGHAI)
    assert services.appeals_tick(now=during_holiday)["overdue"] == 0
    after = dt.datetime(2026, 10, 11, 0, 30, tzinfo=SHANGHAI)
    assert services.appeals_tick(now=after)["overdue"] == 1


def test_tick_is_registered_with_the_ticker():
    from linli.core.ticks import registered

    assert "appeals.tick" in registered()


def test_tick_scans_only_due_rows_with_a_flat_query_count(actors, file_appeal):
    done = []
    assert_queries_flat(
        lambda n: [file_appeal() for _ in range(n)],
        lambda: done.append(services.appeals_tick(now=timezone.now())),
        warm=False,
    )
    assert all(sum(d.values()) == 0 for d in done)
    assert Appeal.objects.count() == 6
