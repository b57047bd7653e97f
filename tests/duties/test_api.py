"""The duties API contract: 201 on create, 400 with a code for bad input,
404 out of scope, corrections and withdrawals, paged lists, what is owed,
compliance with the unit rollup."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from linli.core.timeutil import today
from linli.duties import services
from linli.duties.models import ContactLog, Deliberation
from tests.duties.test_pages import more_representatives
from tests.support import factories
from tests.support.api import ApiClient as Api
from tests.support.queries import assert_queries_flat
from tests.support.roles import Actors

pytestmark = pytest.mark.django_db


@pytest.fixture
def actors(county):
    return Actors(county)


def _week() -> tuple[str, str]:
    monday = today() - dt.timedelta(days=today().weekday())
    return monday.isoformat(), (monday + dt.timedelta(days=6)).isoformat()


# --- contacts ------------------------------------------------------------------------------------


def test_representative_records_a_contact_and_lists_it(actors):
    county = actors.county
    rep = Api(actors.rep)
    household = county.households_a[0]
    r = rep.post(
        "/duties/contacts",
        {"household_id": household.pk, "method": "online", "note": "微信视频问候"},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["representative_id"] == county.rep_a.pk
    assert body["household_name"] == household.head_name
    assert (body["method"], body["role"], body["day"]) == ("online", "liaison", today().isoformat())
    assert body["current"] is True and body["superseded_by_id"] is None

    listing = rep.get("/duties/contacts")
    assert listing.status_code == 200
    page = listing.json()
    assert (page["count"], page["page"], page["pages"]) == (1, 1, 1)
    assert page["items"][0]["id"] == body["id"]
    # Another town's representative sees none of it.
    assert Api(actors.rep_b).get("/duties/contacts").json()["count"] == 0


def test_contact_for_a_household_not_served_is_400_with_a_code(actors):
    county = actors.county
    # The town cadre may enter for rep_a, but rep_a does not serve the seventh household.
    r = Api(actors.town).post(
        "/duties/contacts",
        {"household_id": county.households_a[6].pk, "representative_id": county.rep_a.pk},
    )
    assert r.status_code == 400 and r.json()["code"] == "not_linked"
    # The representative naming a household of another town: not found.
    r = Api(actors.rep).post("/duties/contacts", {"household_id": county.households_b[0].pk})
    assert r.status_code == 404
    # Dates: not in the future, not too late.
    for day, code in (("2099-01-01", "date_future"), ("2020-01-01", "date_too_late")):
        r = Api(actors.rep).post(
            "/duties/contacts", {"household_id": county.households_a[0].pk, "day": day}
        )
        assert r.status_code == 400 and r.json()["code"] == code
    r = Api(actors.rep).post(
        "/duties/contacts", {"household_id": county.households_a[0].pk, "method": "pigeon"}
    )
    assert r.status_code == 400 and r.json()["code"] == "choice"
    # A leader must name the representative.
    r = Api(actors.town).post("/duties/contacts", {"household_id": county.households_a[0].pk})
    assert r.status_code == 400 and r.json()["code"] == "representative"
    assert ContactLog.objects.count() == 0


def test_out_of_scope_is_404(actors):
    county = actors.county
    contact = services.contact_log(
        actor=actors.rep, representative=county.rep_a, household=county.households_a[0]
    )
    for user in (actors.rep_b, actors.town_b):
        api = Api(user)
        r = api.post(
            "/duties/contacts",
            {"household_id": county.households_a[0].pk, "representative_id": county.rep_a.pk},
        )
        assert r.status_code == 404
        assert (
            api.post(f"/duties/contacts/{contact.pk}/withdraw", {"reason": "x"}).status_code == 404
        )
        r = api.post(
            "/duties/contacts",
            {"household_id": county.households_b[0].pk, "supersedes": contact.pk}
            | {"representative_id": county.rep_b.pk},
        )
        assert r.status_code == 404
        assert api.get("/duties/owed", representative=county.rep_a.pk).status_code == 404
        r = api.get("/duties/compliance", representative=county.rep_a.pk, start="2026-01-01")
        assert r.status_code in (400, 404)
    contact.refresh_from_db()
    assert contact.is_current
    # No account: 401.
    assert Client().get("/api/v1/duties/contacts").status_code == 401


def test_correction_and_withdrawal(actors):
    county = actors.county
    rep = Api(actors.rep)
    household = county.households_a[1]
    first = rep.post("/duties/contacts", {"household_id": household.pk}).json()
    r = rep.post(
        "/duties/contacts",
        {"household_id": household.pk, "method": "in_person", "supersedes": first["id"]},
    )
    assert r.status_code == 201
    second = r.json()
    # Corrected once only.
    r = rep.post("/duties/contacts", {"household_id": household.pk, "supersedes": first["id"]})
    assert r.status_code == 400 and r.json()["code"] == "already_corrected"
    current = rep.get("/duties/contacts").json()
    assert [c["id"] for c in current["items"]] == [second["id"]]
    everything = rep.get("/duties/contacts", current=False).json()
    assert everything["count"] == 2
    assert {c["id"]: c["current"] for c in everything["items"]} == {
        first["id"]: False,
        second["id"]: True,
    }

    url = f"/duties/contacts/{second['id']}/withdraw"
    r = rep.post(url, {"reason": ""})
    assert r.status_code == 400 and r.json()["code"] == "required"
    r = rep.post(url, {"reason": "录错了"})
    assert r.status_code == 200 and r.json()["void"] is True and r.json()["note"] == "录错了"
    assert rep.post(url, {"reason": "再撤一次"}).json()["code"] == "already_corrected"
    assert rep.get("/duties/contacts").json()["count"] == 0
    # The household is owed again.
    owed = rep.get("/duties/owed").json()
    assert household.pk in [h["id"] for h in owed["contacts"]]


def test_lists_are_paged(actors):
    county = actors.county
    for h in county.households_a[:5]:
        services.contact_log(actor=actors.rep, representative=county.rep_a, household=h)
    rep = Api(actors.rep)
    page = rep.get("/duties/contacts", page_size=2, page=3).json()
    assert (page["count"], page["pages"], page["page_size"], len(page["items"])) == (5, 3, 2, 1)
    one = rep.get("/duties/contacts", household=county.households_a[2].pk).json()
    assert one["count"] == 1
    mine = rep.get("/duties/contacts", representative=county.rep_a.pk).json()
    assert mine["count"] == 5
    assert rep.get("/duties/contacts", representative=county.rep_b.pk).status_code == 404


@pytest.mark.parametrize(
    "path", ["/duties/contacts", "/duties/visits", "/duties/deliberations", "/duties/reports"]
)
def test_list_query_count_does_not_grow_with_records(actors, path):
    county = actors.county
    su = county.superuser

    def build(n):
        for rep in factories.add_representatives(county, n):
            household = rep.links.get().household
            factories.contact(rep, household, actor=su)
            factories.visit(rep, household, actor=su)
            factories.deliberation(county.village_a, [rep], actor=su)
            factories.report(rep, actor=su)

    town = Api(actors.town)
    assert_queries_flat(build, lambda: town.get(path, page_size=200))


# --- visits, deliberations, reports --------------------------------------------------------------


def test_visit_with_an_appeal(actors, reference_data):
    county = actors.county
    rep = Api(actors.rep)
    r = rep.post(
        "/duties/visits",
        {
            "household_id": county.households_a[0].pk,
            "met": "李大祥",
            "findings": "独居老人，屋顶漏雨",
            "risks": "雨天漏水",
            "latitude": 28.15,
            "longitude": 113.63,
            "raise_appeal": {"category": "housing", "description": "屋顶漏雨需维修"},
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["appeal_code"] and body["met"] == "李大祥"
    assert body["month"][:8] == today().isoformat()[:8]
    visits = rep.get("/duties/visits").json()
    assert visits["items"][0]["appeal_code"] == body["appeal_code"]
    owed = rep.get("/duties/owed").json()
    assert (owed["contacts_owed"], owed["visits_owed"]) == (5, 5)
    # A bad category: nothing is written, neither visit nor appeal.
    r = rep.post(
        "/duties/visits",
        {
            "household_id": county.households_a[1].pk,
            "met": "户主",
            "raise_appeal": {"category": "nope", "description": "x"},
        },
    )
    assert r.status_code == 400 and r.json()["code"] == "category"
    assert rep.get("/duties/visits").json()["count"] == 1


def test_deliberation_events(actors):
    county = actors.county
    rep = Api(actors.rep)
    payload = {
        "unit_id": county.village_a.pk,
        "organiser_ids": [county.rep_a.pk],
        "day": today().isoformat(),
        "place": "李畋村村部",
        "topic": "垃圾分类议事",
        "attendee_count": 18,
        "outcomes": "设置3个分类点",
    }
    r = rep.post("/duties/deliberations", payload)
    assert r.status_code == 201, r.content
    event = r.json()
    assert event["organisers"] == [{"id": county.rep_a.pk, "name": county.rep_a.name}]
    assert event["unit_name"] == county.village_a.name
    # Another town's representative as organiser, or another town's village: 404.
    assert (
        rep.post(
            "/duties/deliberations", payload | {"organiser_ids": [county.rep_b.pk]}
        ).status_code
        == 404
    )
    assert (
        rep.post("/duties/deliberations", payload | {"unit_id": county.village_b.pk}).status_code
        == 404
    )
    r = rep.post("/duties/deliberations", payload | {"attendee_count": 0})
    assert r.status_code == 400 and r.json()["code"] == "attendee_count"
    r = rep.post("/duties/deliberations", payload | {"organiser_ids": []})
    assert r.status_code == 400 and r.json()["code"] == "organisers"
    listing = Api(actors.town).get("/duties/deliberations", unit=county.village_a.pk).json()
    assert [e["id"] for e in listing["items"]] == [event["id"]]
    assert Api(actors.town_b).get("/duties/deliberations").json()["count"] == 0
    r = rep.post(f"/duties/deliberations/{event['id']}/withdraw", {"reason": "日期记错"})
    assert r.status_code == 200 and r.json()["void"] is True
    assert Deliberation.objects.get(pk=event["id"]).superseded_by_id == r.json()["id"]


def test_reports(actors):
    county = actors.county
    rep = Api(actors.rep)
    base = {"kind": "residents", "day": today().isoformat(), "audience": "一组村民"}
    r = rep.post("/duties/reports", base | {"text": ""})
    assert r.status_code == 400 and r.json()["code"] == "report_empty"
    r = rep.post("/duties/reports", base | {"text": "一年来联系群众情况……"})
    assert r.status_code == 201 and r.json()["kind_label"]
    r = rep.post("/duties/reports", base | {"kind": "committees", "text": "向两委报告"})
    assert r.status_code == 201
    r = rep.post("/duties/reports", base | {"kind": "other", "text": "x"})
    assert r.status_code == 400 and r.json()["code"] == "choice"
    assert rep.get("/duties/reports", kind="committees").json()["count"] == 1
    assert Api(actors.village).get("/duties/reports").json()["count"] == 2
    year = str(today().year)
    body = rep.get(
        "/duties/compliance",
        representative=county.rep_a.pk,
        start=f"{year}-01-01",
        end=f"{year}-12-31",
    ).json()
    assert body["representatives"][0]["duties"]["reports"]["fulfilled"] == 1


# --- owed, compliance ----------------------------------------------------------------------------


def test_owed_households(actors):
    county = actors.county
    rep = Api(actors.rep)
    owed = rep.get("/duties/owed").json()
    assert owed["contacts_owed"] == 6 and owed["visits_owed"] == 6
    assert [h["head_name"] for h in owed["contacts"]] == [
        h.head_name for h in county.households_a[:6]
    ]
    services.contact_log(
        actor=actors.rep, representative=county.rep_a, household=county.households_a[0]
    )
    assert rep.get("/duties/owed").json()["contacts_owed"] == 5
    r = Api(actors.town).get("/duties/owed")
    assert r.status_code == 400 and r.json()["code"] == "representative"
    r = Api(actors.town).get("/duties/owed", representative=county.rep_a.pk)
    assert r.status_code == 200 and r.json()["contacts_owed"] == 5


def test_compliance_per_representative_and_unit_rollup(actors):
    county = actors.county
    more_representatives(county, 2)
    for h in county.households_a[:3]:
        services.contact_log(actor=actors.rep, representative=county.rep_a, household=h)
    start, end = _week()
    r = Api(actors.town).get("/duties/compliance", unit=county.town_a.pk, start=start, end=end)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["period_over"] is False
    rows = {row["representative_id"]: row for row in body["representatives"]}
    assert county.rep_b.pk not in rows and len(rows) == 3
    a = rows[county.rep_a.pk]["duties"]["contacts"]
    assert (a["required"], a["fulfilled"], a["owed"], a["rate"], a["status"]) == (
        6,
        3,
        3,
        50.0,
        "behind",
    )
    assert body["total"]["unit_id"] == county.town_a.pk
    assert body["total"]["duties"]["contacts"]["required"] == 8
    assert body["total"]["duties"]["contacts"]["fulfilled"] == 3
    assert [c["unit_name"] for c in body["children"]] == [county.village_a.name]
    assert body["children"][0]["representatives"] == 3

    one = (
        Api(actors.rep)
        .get("/duties/compliance", representative=county.rep_a.pk, start=start, end=end)
        .json()
    )
    assert one["total"] is None and len(one["representatives"]) == 1

    # Bad requests: 400 with a code.
    town = Api(actors.town)
    r = town.get("/duties/compliance", start=start, end=end)
    assert r.status_code == 400 and r.json()["code"] == "unit_or_rep"
    r = town.get("/duties/compliance", unit=county.town_a.pk, start=end, end=start)
    assert r.status_code == 400 and r.json()["code"] == "period"
    r = town.get("/duties/compliance", unit=county.town_a.pk, start="2000-01-01", end=end)
    assert r.status_code == 400 and r.json()["code"] == "period_too_long"
    # Out of scope: 404.
    assert (
        town.get("/duties/compliance", unit=county.town_b.pk, start=start, end=end).status_code
        == 404
    )
    assert (
        town.get(
            "/duties/compliance", representative=county.rep_b.pk, start=start, end=end
        ).status_code
        == 404
    )


def test_compliance_query_count_does_not_grow_with_representatives(actors):
    county = actors.county
    city = Api(actors.city)
    year = today().year

    def fetch():
        return city.get(
            "/duties/compliance", unit=county.city.pk, start=f"{year}-01-01", end=f"{year}-12-31"
        )

    fetch()  # the rollup of the first two representatives
    # Cold for the new representatives each time: their cells are filled set-based.
    assert_queries_flat(lambda n: factories.add_representatives(county, n), fetch, warm=False)
    assert len(fetch().json()["representatives"]) == 8
