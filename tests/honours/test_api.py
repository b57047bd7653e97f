"""The hundred-best API: nominate and decide, the lists scoped to one's units, the
public list without personal data, benefits and the reserve pool; hostile input is a
400 in Chinese, never 500."""

from __future__ import annotations

import pytest

from linli.honours import services
from linli.honours.models import Nomination, ReserveCandidate
from tests.support.api import ApiClient, rows

from .conftest import YEAR
from .test_benefits_reserve import _born, final_list

pytestmark = pytest.mark.django_db


def opened(actors, county):
    sel = services.selection_open(actor=actors.city, year=YEAR, seats=10)
    services.quota_set(actor=actors.city, selection=sel, town=county.town_a, seats=2)
    return sel


def test_nominate_and_decide_through_the_api(actors, county, scored):
    opened(actors, county)
    town = ApiClient(actors.town)
    r = town.post(
        "/honours/nominations",
        {"year": YEAR, "representative_id": county.rep_a.pk, "citation": "调解纠纷"},
    )
    assert r.status_code == 201, r.content
    n = r.json()
    assert (n["score_total"], n["rank_town"], n["status"]) == (9500, 1, "nominated")
    r = town.post(f"/honours/nominations/{n['id']}/decision", {"action": "town_approve"})
    assert r.status_code == 200 and r.json()["status"] == "town_approved"
    r = town.post(f"/honours/nominations/{n['id']}/decision", {"action": "city_approve"})
    assert r.status_code == 403
    detail = town.get(f"/honours/nominations/{n['id']}").json()
    assert [e["kind"] for e in detail["events"]] == ["nominate", "town_approve"]
    assert detail["events"][0]["actor_name"] == actors.town.name
    assert [x["id"] for x in rows(town.get("/honours/nominations", year=YEAR))] == [n["id"]]
    other = ApiClient(actors.town_b)
    assert rows(other.get("/honours/nominations", year=YEAR)) == []
    assert other.get(f"/honours/nominations/{n['id']}").status_code == 404
    assert (
        other.post(
            f"/honours/nominations/{n['id']}/decision", {"action": "town_reject", "note": "x"}
        ).status_code
        == 404
    )
    sel = ApiClient(actors.rep).get(f"/honours/selections/{YEAR}").json()
    assert sel["stage"] == "nominating" and sel["quotas"][0]["seats"] == 2


def test_an_excluded_or_hostile_nomination_is_a_chinese_400(actors, county, scored):
    from .conftest import confirm_breach

    opened(actors, county)
    confirm_breach(actors, county)
    town = ApiClient(actors.town)
    r = town.post(
        "/honours/nominations",
        {"year": YEAR, "representative_id": county.rep_a.pk},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert r.status_code == 400 and r.json()["code"] == "excluded"
    assert "负面清单" in r.json()["message"]
    for bad in (
        {"year": YEAR, "representative_id": 2**63},
        {"year": 1, "representative_id": scored[1].pk},
        {"year": YEAR, "representative_id": scored[1].pk, "citation": "x\x1b"},
        {"year": YEAR, "representative_id": scored[1].pk, "citation": "长" * 3000},
        {"year": "2026", "representative_id": True},
    ):
        r = town.post("/honours/nominations", bad)
        assert r.status_code == 400, (bad, r.content)
    assert not Nomination.objects.exists()


def test_the_public_list_shows_no_personal_data(actors, county, scored, later):
    final_list(actors, county, [county.rep_a], later)
    anon = ApiClient(None)
    r = anon.get(f"/public/honours/{YEAR}")
    assert r.status_code == 200
    data = r.json()
    assert data["stage"] == "final"
    assert data["nominees"] == [
        {
            "name": county.rep_a.name,
            "town": county.town_a.name,
            "village": county.village_a.name,
            "score_total": 9500,
            "citation": "事迹",
        }
    ]
    assert anon.get(f"/public/honours/{YEAR - 1}").status_code == 404


def test_benefits_and_reserve_through_the_api(actors, county, scored, later):
    final_list(actors, county, [county.rep_a], later)
    kind = services.benefit_kind_save(actor=actors.city, name="公交卡")
    town = ApiClient(actors.town)
    body = {
        "kind_id": kind.pk,
        "representative_id": county.rep_a.pk,
        "year": YEAR,
        "issued_on": f"{YEAR}-01-10",
        "reference": "GJ-1",
    }
    r = town.post("/honours/benefits", body)
    assert r.status_code == 201, r.content
    assert town.post("/honours/benefits", body).status_code == 409
    assert ApiClient(actors.town_b).post("/honours/benefits", body).status_code == 404
    assert [b["reference"] for b in rows(town.get("/honours/benefits", year=YEAR))] == ["GJ-1"]
    bad = dict(body, issued_on="9999-01-01")
    assert town.post("/honours/benefits", bad).status_code == 400
    _born(county.rep_a, 30)
    services.reserve_propose(actor=actors.city, year=YEAR)
    c = ReserveCandidate.objects.get()
    assert [x["id"] for x in rows(town.get("/honours/reserve", year=YEAR))] == [c.pk]
    r = town.post(f"/honours/reserve/{c.pk}/decision", {"confirm": False})
    assert r.status_code == 400
    r = town.post(f"/honours/reserve/{c.pk}/decision", {"confirm": True})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert (
        ApiClient(actors.town_b)
        .post(f"/honours/reserve/{c.pk}/decision", {"confirm": True})
        .status_code
        == 404
    )
