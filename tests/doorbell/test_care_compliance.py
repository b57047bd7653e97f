"""Care visits in the duties' compliance engine: the love doorbell hands
`duties.extra.provide_compliance` its figures (per primary representative: pairings,
visits due in the period, made on time, overdue), and they appear wherever compliance
does: `compliance.compute` and its rollup, the team and representative pages, the API,
the Excel export. Checked on a hand-made dataset with the numbers worked by hand."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from linli.doorbell import services
from linli.doorbell.models import CarePairing
from linli.doorbell.selectors import care_visit_counts
from linli.duties import compliance
from linli.duties import services as duties
from linli.org import services as org
from tests.support import factories
from tests.support.api import ApiClient as Api
from tests.support.clock import Clock

from .care_support import People

pytestmark = pytest.mark.django_db
D = dt.date
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


# --- the chain of due days, by hand -----------------------------------------------------------

JAN = (D(2026, 1, 1), D(2026, 1, 31))


def test_visits_on_time_late_and_none():
    # Every 7 days from 1 January; visits on 5, 20 and 25 January; January is over.
    # Due 8 Jan: met on the 5th. Due 12 Jan: no visit by then (overdue), and none by
    # the 19th either (overdue again); the visit of the 20th restarts the clock: due
    # 27 Jan, met on the 25th. The next, 1 February, is not in January.
    visits = [D(2026, 1, 5), D(2026, 1, 20), D(2026, 1, 25)]
    assert care_visit_counts(D(2026, 1, 1), None, 7, visits, *JAN, D(2026, 2, 10)) == (4, 2, 2)
    # From 10 January: the due day of the 8th is not in the period.
    assert care_visit_counts(
        D(2026, 1, 1), None, 7, visits, D(2026, 1, 10), JAN[1], D(2026, 2, 10)
    ) == (3, 1, 2)
    # Never visited: due 8, 15, 22 and 29 January, all overdue.
    assert care_visit_counts(D(2026, 1, 1), None, 7, [], *JAN, D(2026, 2, 10)) == (4, 0, 4)
    # A visit a day late restarts the clock from its day: one overdue, then on time.
    late = [D(2026, 1, 9), D(2026, 1, 16)]
    assert care_visit_counts(D(2026, 1, 1), None, 7, late, *JAN, D(2026, 1, 20)) == (3, 1, 1)


def test_the_period_still_running_and_the_pairing_ended():
    visits = [D(2026, 1, 5), D(2026, 1, 20)]
    # On 22 January: 8 Jan met, 12 and 19 Jan overdue, 27 Jan still to come (due, not
    # overdue); nothing is counted after it (it depends on visits not made yet).
    assert care_visit_counts(D(2026, 1, 1), None, 7, visits, *JAN, D(2026, 1, 22)) == (4, 1, 2)
    # Never visited, on 10 January: 8 Jan overdue, 15 Jan to come.
    assert care_visit_counts(D(2026, 1, 1), None, 7, [], *JAN, D(2026, 1, 10)) == (2, 0, 1)
    # Ended on 15 January: only the due days up to then are owed (8 and 12 Jan).
    ended = care_visit_counts(D(2026, 1, 1), D(2026, 1, 15), 7, visits, *JAN, D(2026, 2, 10))
    assert ended == (2, 1, 1)
    # Visits before the pairing started do not count; a visit on a day after `on` is
    # not known yet.
    before = [D(2025, 12, 30)]
    assert care_visit_counts(D(2026, 1, 1), None, 10, before, *JAN, D(2026, 2, 10)) == (3, 0, 3)


# --- the engine, the pages, the API and the export on a hand-made county ---------------------


@pytest.fixture
def world(county, monkeypatch):
    """rep_a is the primary of 王奶奶 (household A1, every 7 days) and rep_b of 赵爷爷
    (a household of village B, every 10 days), both from 1 November 2025. rep_a visits
    A1 on 5, 20 and 25 November, and another household on the 15th (not the pairing's);
    a visit to A1 on the 10th is withdrawn. rep_b never visits."""
    clock = Clock(monkeypatch)
    p = People(county)
    r1 = p.paired()
    member_b = org.member_create(
        actor=p.su, household=county.households_b[0], name="赵爷爷", relation="parent"
    )
    r2 = services.recipient_register(
        actor=p.village_b, member=member_b, kind="elderly_alone", level="close", confirm_alone=True
    )
    services.pair(actor=p.village_b, recipient=r2, primary=county.rep_b, visit_every_days=10)
    CarePairing.objects.filter(ended_on__isnull=True).update(started_on=D(2025, 11, 1))
    h = r1.household

    def visit(day, household=h):
        clock.set(day)
        return factories.visit(county.rep_a, household, actor=p.su, day=day)

    visit(D(2025, 11, 5))
    mistake = visit(D(2025, 11, 10))
    duties.record_withdraw(actor=p.su, record=mistake, reason="录错了")
    visit(D(2025, 11, 15), county.households_a[2])
    visit(D(2025, 11, 20))
    p.clock, p.visit = clock, visit
    return p


NOV = (D(2025, 11, 1), D(2025, 11, 30))


def care(per_rep, rep) -> tuple:
    d = per_rep[rep.pk].duties["care_visits"]
    return d.subjects, d.required, d.fulfilled, d.overdue


def test_compute_counts_care_visits_per_representative_and_rolls_them_up(world, county):
    # 22 November, the month still running: rep_a's due days are 8 Nov (met on the 5th),
    # 12 and 19 Nov (overdue; the withdrawn visit of the 10th does not count), 27 Nov (to
    # come). rep_b's: 11 and 21 Nov overdue (1 December is not November).
    world.clock.set(D(2025, 11, 22))
    per_rep = compliance.compute(None, *NOV, unit=county.city)
    assert care(per_rep, county.rep_a) == (1, 4, 1, 2)
    assert care(per_rep, county.rep_b) == (1, 2, 0, 2)
    assert per_rep[county.rep_a.pk].status("care_visits") == "behind"
    assert per_rep[county.rep_a.pk].overall == "behind"

    # 10 December: the visit of 25 November met the 27th; the month is over.
    world.visit(D(2025, 11, 25))
    world.clock.set(D(2025, 12, 10))
    per_rep = compliance.compute(None, *NOV, unit=county.city)
    assert care(per_rep, county.rep_a) == (1, 4, 2, 2)
    assert per_rep[county.rep_a.pk].duties["care_visits"].rate == 50.0
    assert per_rep[county.rep_a.pk].status("care_visits") == "missed"
    assert care(per_rep, county.rep_b) == (1, 2, 0, 2)
    # A representative with no pairing owes none.
    others = [rc for pk, rc in per_rep.items() if pk not in (county.rep_a.pk, county.rep_b.pk)]
    assert others and all(rc.duties["care_visits"].required == 0 for rc in others)
    assert all(rc.status("care_visits") == "on_track" for rc in others)

    total, children = compliance.rollup(county.city, per_rep)
    t = total.duties["care_visits"]
    assert (t.subjects, t.required, t.fulfilled, t.overdue, t.rate) == (2, 6, 2, 4, 33.3)
    by_town = {c.unit.pk: c.duties["care_visits"] for c in children}
    a, b = by_town[county.town_a.pk], by_town[county.town_b.pk]
    assert (a.subjects, a.required, a.fulfilled, a.overdue) == (1, 4, 2, 2)
    assert (b.subjects, b.required, b.fulfilled, b.overdue) == (1, 2, 0, 2)

    # A pairing that ended on 10 November owes only 8 November (met).
    CarePairing.objects.filter(primary=county.rep_a).update(ended_on=D(2025, 11, 10))
    per_rep = compliance.compute(None, *NOV, unit=county.city)
    assert care(per_rep, county.rep_a) == (1, 1, 1, 0)
    # ... and nothing in December: it did not run then.
    assert care(
        compliance.compute(None, D(2025, 12, 1), D(2025, 12, 9), unit=county.city), county.rep_a
    ) == (0, 0, 0, 0)


def test_the_api_the_pages_and_the_export_show_care_visits(world, county, client):
    world.visit(D(2025, 11, 25))
    world.clock.set(D(2025, 12, 10))
    r = Api(world.city).get(
        "/duties/compliance", unit=county.city.pk, start="2025-11-01", end="2025-11-30"
    )
    assert r.status_code == 200, r.content
    body = r.json()
    rep_a = next(x for x in body["representatives"] if x["representative_id"] == county.rep_a.pk)
    cv = rep_a["duties"]["care_visits"]
    assert (cv["subjects"], cv["required"], cv["fulfilled"], cv["owed"], cv["overdue"]) == (
        1,
        4,
        2,
        2,
        2,
    )
    assert cv["rate"] == 50.0 and cv["status"] == "missed"
    assert rep_a["duties"]["contacts"]["subjects"] is None
    tc = body["total"]["duties"]["care_visits"]
    assert (tc["subjects"], tc["required"], tc["fulfilled"], tc["overdue"]) == (2, 6, 2, 4)

    query = {"unit": county.city.pk, "period": "custom", "start": "2025-11-01", "end": "2025-11-30"}
    client.force_login(world.city)
    page = client.get(reverse("duties:team"), query, **ZH).content.decode()
    assert "结对探访" in page
    # The total: 2 of 6 on time, 2 pairings, 4 overdue; each town's row.
    assert "结对探访 · 2/6 · 结对数 2 · 逾期 4 次" in page
    assert "逾期 2 次" in page
    page = client.get(
        reverse("duties:rep", args=[county.rep_a.pk]),
        {"period": "custom", "start": "2025-11-01", "end": "2025-11-30"},
        **ZH,
    ).content.decode()
    assert "结对探访" in page and "2/4" in page and "结对数 1 · 逾期 2 次" in page

    r = client.get(reverse("duties:export"), query)
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    reps = list(wb["履职"].values)
    head = list(reps[0])
    row = next(x for x in reps[1:] if x[0] == county.rep_a.name)
    cols = [
        "结对探访应完成",
        "结对探访按时完成",
        "结对探访完成率(%)",
        "结对探访结对数",
        "结对探访逾期",
    ]
    assert [row[head.index(c)] for c in cols] == [4, 2, 50, 1, 2]
    units = list(wb["单位汇总"].values)
    uhead = list(units[0])
    total = units[-1]
    assert [total[uhead.index(c)] for c in cols] == [6, 2, 33.3, 2, 4]
    behind = list(wb["未完成明细"].values)
    assert any(x[0] == county.rep_a.name and x[2] == "结对探访" for x in behind[1:])
