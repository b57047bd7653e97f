"""The two ticks: publication told to the representatives of the subtree (once), and the
reminder of an urgent notice to the representatives behind (once each, even with two ticks
at the same time)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from linli.notices import services
from linli.notices.models import Notice, NoticeReminder
from linli.notify.models import Outbox

pytestmark = pytest.mark.django_db


def outbox(kind: str, channel: str = "inapp") -> list[int]:
    return sorted(
        Outbox.objects.filter(kind=kind, channel=channel).values_list("user_id", flat=True)
    )


def test_publication_is_told_once_to_each_representative_of_the_subtree(town, publish):
    notice = publish()
    assert outbox("notices.published") == []  # not inside the request
    result = services.notices_announce()
    assert result == {"notices": 1, "representatives": 2}
    assert outbox("notices.published") == sorted([town.user_a.pk, town.user_c.pk])
    assert services.notices_announce() == {"notices": 0, "representatives": 0}
    assert len(outbox("notices.published")) == 2
    notice.refresh_from_db()
    assert notice.announced_at is not None


def test_a_notice_withdrawn_before_the_tick_is_not_told(town, publish):
    notice = publish()
    services.notice_withdraw(actor=town.cadre, notice=notice, reason="发错了")
    assert services.notices_announce() == {"notices": 0, "representatives": 0}
    assert outbox("notices.published") == []
    assert Notice.objects.get().announced_at is not None


def test_urgent_reminder_goes_once_to_each_representative_behind_after_the_set_time(town, publish):
    notice = publish(urgent=True, remind_after=2)
    # rep_a reached all six of their households; rep_c none of their five.
    for h in town.county.households_a[:6]:
        services.delivery_record(actor=town.user_a, notice=notice, household=h, method="online")
    early = notice.published_at + dt.timedelta(hours=1)
    assert services.notice_reminders(now=early) == {"notices": 0, "representatives": 0}
    due = notice.published_at + dt.timedelta(hours=2, minutes=1)
    assert services.notice_reminders(now=due) == {"notices": 1, "representatives": 1}
    assert outbox("notices.reminder") == [town.user_c.pk]
    assert outbox("notices.reminder", "sms") == [town.user_c.pk]
    assert NoticeReminder.objects.get().unreached == 5
    # Again, later: nothing more.
    later = due + dt.timedelta(hours=5)
    assert services.notice_reminders(now=later) == {"notices": 0, "representatives": 0}
    assert len(outbox("notices.reminder")) == 1


def test_a_representative_another_tick_reminded_is_not_reminded_again(town, publish):
    notice = publish(urgent=True, remind_after=1)
    # The other tick got to rep_a first (its marker row is there).
    NoticeReminder.objects.create(notice=notice, representative=town.rep_a, unreached=6)
    due = notice.published_at + dt.timedelta(hours=2)
    assert services.notice_reminders(now=due)["representatives"] == 1
    assert outbox("notices.reminder") == [town.user_c.pk]


def test_a_plain_or_withdrawn_notice_reminds_nobody(town, publish):
    publish()
    urgent = publish(urgent=True, remind_after=1)
    services.notice_withdraw(actor=town.cadre, notice=urgent, reason="险情解除")
    due = urgent.published_at + dt.timedelta(hours=3)
    assert services.notice_reminders(now=due) == {"notices": 0, "representatives": 0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_remind_each_representative_once(town, publish, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race runs in the PostgreSQL pass")
    from linli.notify import services as notify_services

    monkeypatch.setattr(notify_services, "_kick", lambda: None)
    notice = publish(urgent=True, remind_after=1)
    due = notice.published_at + dt.timedelta(hours=2)
    barrier = threading.Barrier(2)
    results: list[dict] = []

    def tick():
        try:
            barrier.wait()
            results.append(services.notice_reminders(now=due))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["representatives"] for r in results) == 2
    assert outbox("notices.reminder") == sorted([town.user_a.pk, town.user_c.pk])
    assert NoticeReminder.objects.count() == 2
