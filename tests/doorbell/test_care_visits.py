"""The pairing's visit duty: computed from the duties' home visits (by the primary, to
the recipient's household, not withdrawn or corrected), shown on the register, on
"my pairings" and, through `duties.extra`, on the representative's duties page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from linli.core.timeutil import today
from linli.doorbell import selectors
from linli.doorbell.models import CarePairing
from linli.duties import extra
from linli.duties import services as duties
from tests.support import factories

from .care_support import People

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def p(county):
    return People(county)


def _started(recipient, days_ago: int) -> CarePairing:
    pairing = selectors.current_pairing(recipient)
    CarePairing.objects.filter(pk=pairing.pk).update(
        started_on=today() - dt.timedelta(days=days_ago)
    )
    pairing = selectors.current_pairing(recipient)
    pairing.recipient = recipient
    return pairing


def _status(recipient, days_ago=30, on=None):
    (status,) = selectors.visit_statuses([_started(recipient, days_ago)], on=on)
    return status


def test_due_from_the_start_then_from_the_last_visit(p, county):
    r = p.paired()
    status = _status(r)
    assert status.last_visit is None
    assert status.due_on == today() - dt.timedelta(days=23)
    assert status.overdue_days == 23 and status.overdue
    visit = factories.visit(
        county.rep_a, r.household, actor=p.rep, day=today() - dt.timedelta(days=2)
    )
    status = _status(r)
    assert status.last_visit == visit.day
    assert status.due_on == visit.day + dt.timedelta(days=7) and status.overdue_days == 0
    # Five days later, still on time; eight days later, one day overdue.
    assert _status(r, on=today() + dt.timedelta(days=5)).overdue_days == 0
    assert _status(r, on=today() + dt.timedelta(days=6)).overdue_days == 1


def test_withdrawn_visits_visits_elsewhere_and_before_the_pairing_do_not_count(p, county):
    r = p.paired()
    # Another household of rep_a's; the primary's visit withdrawn as a mistake.
    factories.visit(county.rep_a, county.households_a[2], actor=p.rep)
    mistake = factories.visit(county.rep_a, r.household, actor=p.rep)
    duties.record_withdraw(actor=p.rep, record=mistake, reason="录错了")
    assert _status(r).last_visit is None
    # A visit before the pairing started is shown, but the duty counts from the start.
    before = factories.visit(
        county.rep_a, r.household, actor=p.rep, day=today() - dt.timedelta(days=3)
    )
    status = _status(r, days_ago=1)
    assert status.last_visit == before.day
    assert status.due_on == today() - dt.timedelta(days=1) + dt.timedelta(days=7)


def test_the_overdue_filter_and_my_pairings(p, county):
    r = p.paired()
    _started(r, 30)
    assert list(selectors.recipients_filtered(p.village, overdue=True)) == [r]
    assert [s.recipient for s in selectors.my_pairings(p.rep)] == [r]
    assert selectors.my_pairings(p.rep_c) == []
    factories.visit(county.rep_a, r.household, actor=p.rep)
    assert list(selectors.recipients_filtered(p.village, overdue=True)) == []
    assert list(selectors.recipients_filtered(p.village)) == [r]


def test_the_duties_page_shows_the_care_visit_line(p, client, county):
    r = p.paired()
    _started(r, 30)
    client.force_login(p.rep)
    page = client.get(reverse("duties:mine"), **ZH).content.decode()
    assert "结对探访" in page and "1 位，1 位逾期" in page
    assert reverse("doorbell:mine") in page
    # A representative paired with nobody: no line.
    client.force_login(p.rep_c)
    page = client.get(reverse("duties:mine"), **ZH).content.decode()
    assert "结对探访" not in page


def test_the_registry_answers_the_doorbell_line(p, county):
    p.paired()
    lines = extra.lines(county.rep_a, today())
    assert [line["url_name"] for line in lines] == ["doorbell:mine"]
    assert extra.lines(p.representative_c, today()) == []


def test_my_pairings_page_links_the_visit_form(p, client, county):
    r = p.paired()
    _started(r, 30)
    client.force_login(p.rep)
    response = client.get(reverse("doorbell:mine"), **ZH)
    page = response.content.decode()
    assert response.status_code == 200 and "王奶奶" in page
    assert f"{reverse('duties:visit_new')}?household={r.household_id}" in page
    assert "逾期" in page
    # The link opens the duties' visit form for that household.
    assert client.get(reverse("duties:visit_new"), {"household": r.household_id}).status_code == 200
