"""The small demo county has a duty past: weeks and months of contacts and
visits, deliberations and reports, with shortfalls, so the team page's month,
quarter and year views show figures that are neither all zero nor all done."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from linli.accounts.models import User, phone_index
from linli.duties import compliance, queries, views
from linli.duties import demo as duties_demo
from linli.duties.models import AnnualReport, ContactLog, Deliberation, DutyTally, HomeVisit
from linli.org import demo as org_demo
from linli.org.models import Unit

pytestmark = pytest.mark.django_db

MONDAY_30_NOV = dt.date(2026, 11, 30)


def figures(kind: str, day: dt.date):
    root = Unit.objects.get(depth=1)
    start, end = queries.period_range(kind, day)
    per_rep = compliance.compute(None, start, end, unit=root)
    total, _children = compliance.rollup(root, per_rep)
    return total.duties, compliance.by_status(per_rep)


def test_small_demo_gives_the_month_quarter_and_year_views_a_past(client, clock, monkeypatch):
    clock.set(MONDAY_30_NOV)
    for module in (org_demo, duties_demo, views):
        monkeypatch.setattr(module, "today", lambda: MONDAY_30_NOV)
    call_command("demo_data", "small", stdout=io.StringIO())

    # Records before this week, dated as far back as the year's start.
    assert ContactLog.objects.filter(day__lt=MONDAY_30_NOV).count() > 50_000
    assert ContactLog.objects.earliest("day").day <= dt.date(2026, 1, 4)
    assert HomeVisit.objects.filter(day__lt=dt.date(2026, 11, 1)).exclude(met="").count() > 10_000
    assert Deliberation.objects.exists() and AnnualReport.objects.exists()
    # The rollup was filled for the history, as after a bulk import.
    assert DutyTally.objects.filter(ref__lt=dt.date(2026, 2, 1)).exists()

    for kind in ("month", "quarter", "year"):
        duties, statuses = figures(kind, MONDAY_30_NOV)
        for duty in ("contacts", "visits", "deliberations"):
            rate = duties[duty].rate
            assert rate is not None and 0 < rate < 100, (kind, duty, rate)
        assert statuses.get("behind", 0) > 0, (kind, statuses)
    month, statuses = figures("month", MONDAY_30_NOV)
    assert month["contacts"].rate > 80  # most keep up
    assert statuses["on_track"] > statuses["behind"]
    # Last month is over: those short of it missed it, and one did nothing at all.
    october, statuses = figures("month", dt.date(2026, 10, 15))
    assert 0 < statuses["missed"] < statuses["on_track"]
    root = Unit.objects.get(depth=1)
    per_rep = compliance.compute(None, dt.date(2026, 10, 1), dt.date(2026, 10, 31), unit=root)
    assert any(
        rc.duties["contacts"].required and rc.duties["contacts"].fulfilled == 0
        for rc in per_rep.values()
    )

    # The city cadre's team page shows it, with this week's contacts beside it.
    client.force_login(User.objects.get(phone_hash=phone_index("13800000002")))
    html = client.get(reverse("duties:team"), {"period": "month"}).content.decode()
    assert "2026年11月：11/2–11/29，共4周" in html and 'id="this-week"' in html
    assert f"{month['contacts'].fulfilled}/{month['contacts'].required}" in html
