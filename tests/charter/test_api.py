"""The charter API: the list in force for me, a unit or a representative; versions;
drafts. A town cannot remove or lower a city responsibility through the API either."""

from __future__ import annotations

import pytest

from linli.accounts.models import AuditLog
from linli.charter.models import CharterEntry, CharterStatus, CharterVersion
from tests.support.api import ApiClient, rows

from .conftest import NEW_YEAR, TODAY

pytestmark = pytest.mark.django_db


def codes(items):
    return [i["code"] for i in items]


def test_a_representative_gets_the_merged_list_in_force_for_them(county, people, town_list):
    body = ApiClient(people.rep_a).get("/charter/in-force").json()
    assert body["unit_id"] == county.group_a.pk and body["day"] == TODAY.isoformat()
    assert [lv["unit_name"] for lv in body["levels"]] == ["浏阳市", "大瑶镇", "李畋村"]
    assert body["levels"][2]["version_id"] is None
    responsibilities = {i["code"]: i for i in body["responsibilities"]}
    assert responsibilities["contact"]["unit_name"] == "浏阳市"
    assert "每户" in responsibilities["contact"]["duty_text"]
    assert responsibilities["town-festival"]["unit_name"] == "大瑶镇"
    fund = {i["code"]: i for i in body["rights"]}["right-fund"]
    assert (fund["floor"], fund["base_floor"], fund["raised_by_unit_name"]) == (300, 200, "大瑶镇")
    # The other town's representative has the city's figure.
    other = ApiClient(people.rep_b).get("/charter/in-force").json()
    assert {i["code"]: i for i in other["rights"]}["right-fund"]["floor"] == 200
    assert "town-festival" not in codes(other["responsibilities"])


def test_the_list_for_a_unit_or_representative_is_scoped(county, people, town_list):
    api = ApiClient(people.town_b)
    assert api.get("/charter/in-force", unit=county.town_a.pk).status_code == 404
    assert api.get("/charter/in-force", representative=county.rep_a.pk).status_code == 404
    assert api.get("/charter/in-force", unit=county.city.pk).status_code == 200
    mine = ApiClient(people.town_a)
    body = mine.get("/charter/in-force", representative=county.rep_a.pk).json()
    assert body["unit_id"] == county.group_a.pk
    before = mine.get("/charter/in-force", unit=county.town_a.pk, day="2025-12-31").json()
    assert before["responsibilities"] == [] and before["rights"] == []


def test_versions_list_and_detail(county, people, town_list):
    api = ApiClient(people.town_a)
    listed = rows(api.get("/charter/versions"))
    assert {(v["unit_name"], v["number"]) for v in listed} == {("浏阳市", 1), ("大瑶镇", 1)}
    detail = api.get(f"/charter/versions/{town_list.pk}").json()
    assert detail["published_by_name"] == "大瑶镇干部"
    assert codes(detail["entries"]) == ["right-fund", "town-festival"]
    changes = {(c["code"], c["change"]) for c in detail["changes"]}
    assert changes == {
        ("right-fund", "raised"),
        ("right-fund", "supplemented"),
        ("town-festival", "added"),
    }
    assert len(detail["inherited"]) == 13
    # Town B sees the city's version, not town A's.
    other = ApiClient(people.town_b)
    assert {v["unit_name"] for v in rows(other.get("/charter/versions"))} == {"浏阳市"}
    assert other.get(f"/charter/versions/{town_list.pk}").status_code == 404


def test_a_town_drafts_extends_and_publishes(county, people, city_list):
    api = ApiClient(people.town_a)
    created = api.post(
        "/charter/versions",
        {"unit_id": county.town_a.pk, "title": "大瑶镇清单", "effective_from": "2026-01-01"},
    )
    assert created.status_code == 201, created.content
    vid = created.json()["id"]
    added = api.post(
        f"/charter/versions/{vid}/entries",
        {"code": "right-fund", "kind": "right", "floor": 300, "floor_unit": "元/年"},
    )
    assert added.status_code == 201, added.content
    new = api.post(
        f"/charter/versions/{vid}/entries",
        {"code": "town-new", "kind": "responsibility", "title": "新职责", "duty": None},
    ).json()
    changed = api.patch(f"/charter/entries/{new['id']}", {"text": "说明", "order": 3})
    assert changed.status_code == 200 and changed.json()["text"] == "说明"
    published = api.post(f"/charter/versions/{vid}/publish")
    assert published.status_code == 200, published.content
    assert published.json()["status"] == "published"
    # A published version is never changed.
    assert api.patch(f"/charter/entries/{new['id']}", {"text": "再改"}).status_code == 409
    assert api.send("DELETE", f"/charter/entries/{new['id']}").status_code == 409


def test_a_town_cannot_remove_or_lower_a_city_responsibility_through_the_api(
    county, people, city_list
):
    api = ApiClient(people.town_a)
    vid = api.post(
        "/charter/versions",
        {"unit_id": county.town_a.pk, "title": "大瑶镇清单", "effective_from": "2026-01-01"},
    ).json()["id"]
    city_fund = city_list.entries.get(code="right-fund")
    city_contact = city_list.entries.get(code="contact")
    audit = AuditLog.objects.exclude(action="token.create").count()
    removed = api.send("DELETE", f"/charter/entries/{city_contact.pk}")
    assert removed.status_code == 403 and removed.json()["code"] == "charter_inherited"
    assert (
        "不能删除或修改"
        in ApiClient(people.town_a)
        .client.delete(
            f"/api/v1/charter/entries/{city_contact.pk}",
            headers={**api.headers, "Accept-Language": "zh-hans"},
        )
        .json()["message"]
    )
    lowered = api.patch(f"/charter/entries/{city_fund.pk}", {"floor": 100})
    assert lowered.status_code == 403
    lowered = api.post(
        f"/charter/versions/{vid}/entries", {"code": "right-fund", "kind": "right", "floor": 100}
    )
    assert lowered.status_code == 400 and lowered.json()["code"] == "charter_weakens"
    kind = api.post(
        f"/charter/versions/{vid}/entries", {"code": "contact", "kind": "right", "text": "x"}
    )
    assert kind.status_code == 400
    assert AuditLog.objects.exclude(action="token.create").count() == audit
    assert CharterEntry.objects.filter(version_id=vid).count() == 0
    city_fund.refresh_from_db()
    assert city_fund.floor == 200 and CharterEntry.objects.filter(code="contact").count() == 1


def test_a_town_cannot_write_the_city_list_nor_another_town(county, people, city_list):
    api = ApiClient(people.town_a)
    city = api.post(
        "/charter/versions",
        {"unit_id": county.city.pk, "title": "市清单", "effective_from": "2026-07-01"},
    )
    assert city.status_code == 403 and city.json()["code"] == "charter_not_yours"
    other = api.post(
        "/charter/versions",
        {"unit_id": county.town_b.pk, "title": "永和镇", "effective_from": "2026-07-01"},
    )
    assert other.status_code == 404
    assert CharterVersion.objects.filter(status=CharterStatus.DRAFT).count() == 0


def test_drafts_are_seen_only_by_their_writers(county, people, city_list):
    draft = ApiClient(people.town_a).post(
        "/charter/versions",
        {"unit_id": county.town_a.pk, "title": "草稿甲", "effective_from": "2026-07-01"},
    )
    vid = draft.json()["id"]
    for user in (people.rep_a, people.village_a, people.town_b):
        assert ApiClient(user).get(f"/charter/versions/{vid}").status_code == 404
        assert vid not in {v["id"] for v in rows(ApiClient(user).get("/charter/versions"))}


@pytest.mark.parametrize(
    "body",
    [
        {"code": "x\u0000", "kind": "right", "title": "t"},
        {"code": "ok", "kind": "nothing", "title": "t"},
        {"code": "ok", "kind": "right", "title": "t", "floor": 2**40},
        {"code": "ok", "kind": "right", "title": "t", "floor": -5},
        {"code": "ok", "kind": "right", "title": "t" * 201},
        {"code": "ok", "kind": "right", "title": "t", "duty": "sleep"},
        {"code": "ok", "kind": "right", "title": "t", "order": 10**9},
        {"code": "坏的代码", "kind": "right", "title": "t"},
        {"kind": "right"},
    ],
)
def test_hostile_entries_are_a_400(county, people, city_list, body):
    api = ApiClient(people.town_a)
    vid = api.post(
        "/charter/versions",
        {"unit_id": county.town_a.pk, "title": "草稿", "effective_from": "2026-07-01"},
    ).json()["id"]
    response = api.post(f"/charter/versions/{vid}/entries", body)
    assert response.status_code == 400, response.content
    assert set(response.json()) >= {"code", "message"}
    assert CharterEntry.objects.filter(version_id=vid).count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"unit_id": 0, "title": "t", "effective_from": "2026-07-01"},
        {"unit_id": 2**63, "title": "t", "effective_from": "2026-07-01"},
        {"title": "t", "effective_from": "2026-07-01"},
        {"unit_id": 1, "title": "", "effective_from": "2026-07-01"},
        {"unit_id": 1, "title": "t", "effective_from": "9999-01-01"},
        {"unit_id": 1, "title": "t", "effective_from": "not a day"},
    ],
)
def test_hostile_drafts_are_a_400(county, people, body):
    if body.get("unit_id") == 1:
        body["unit_id"] = county.town_a.pk
    response = ApiClient(people.town_a).post("/charter/versions", body)
    assert response.status_code == 400, response.content
    assert CharterVersion.objects.count() == 0


def test_hostile_queries_are_a_400(people):
    api = ApiClient(people.rep_a)
    for params in ({"unit": "x"}, {"unit": 2**64}, {"day": "0001-01-01"}, {"day": "x"}):
        assert api.get("/charter/in-force", **params).status_code == 400, params
    assert api.get("/charter/versions", status="nope").status_code == 400


def test_no_unit_is_a_clear_404(db):
    from tests.support.roles import make_user

    nobody = make_user("13799990000", "无角色")
    response = ApiClient(nobody).get("/charter/in-force")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert NEW_YEAR  # the fixtures' dates are shared with the other tests
