"""The conduct API: the catalogue, reporting with evidence, statement, review, withdraw;
the guard answered as 409; scope; hostile input answered 400."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from linli.conduct.models import Breach, BreachEvidence, BreachStage, NegativeEntry
from linli.core.documents import DOCUMENT_MAX_BYTES
from tests.support.api import ApiClient
from tests.support.factories import png_bytes, upload
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _body(county, catalogue, clock, **kw):
    return {
        "representative_id": county.rep_a.pk,
        "entry_id": catalogue["FM-02"].pk,
        "description": "收受联系户两条烟",
        "occurred_on": (clock.today - dt.timedelta(days=1)).isoformat(),
        **kw,
    }


def test_report_state_and_confirm_through_the_api(actors, county, catalogue, clock, media):
    village = ApiClient(actors.village)
    r = village.post("/conduct/breaches", _body(county, catalogue, clock, place="一组"))
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["stage"] == "reported" and data["respond_by"] == "2026-03-09"
    assert [e["kind"] for e in data["events"]] == ["reported"]
    assert "withdraw" in data["actions"] and "confirm" not in data["actions"]
    pk = data["id"]

    town = ApiClient(actors.town)
    r = town.post(f"/conduct/breaches/{pk}/confirm", {"reason": "属实"})
    assert r.status_code == 409 and r.json()["code"] == "breach_not_heard"
    assert "dismiss" in town.get(f"/conduct/breaches/{pk}").json()["actions"]

    rep = ApiClient(actors.rep)
    r = rep.post(f"/conduct/breaches/{pk}/statement", {"text": "烟已退回"})
    assert r.status_code == 200 and r.json()["stage"] == "stated"
    assert r.json()["statement_by_name"] == actors.rep.name
    assert "confirm" not in r.json()["actions"]  # a representative does not review

    r = town.post(f"/conduct/breaches/{pk}/confirm", {"reason": "经核实属实"})
    assert r.status_code == 200, r.content
    assert r.json()["stage"] == "confirmed" and r.json()["actions"] == []
    assert [e["kind"] for e in r.json()["events"]] == ["reported", "statement", "confirmed"]


def test_the_reporter_is_refused_the_review(actors, county, catalogue, clock, media):
    town = ApiClient(actors.town)
    pk = town.post("/conduct/breaches", _body(county, catalogue, clock)).json()["id"]
    r = town.post(f"/conduct/breaches/{pk}/dismiss", {"reason": "不属实"})
    assert r.status_code == 403 and r.json()["code"] == "breach_reviewer_is_reporter"
    r = town.post(f"/conduct/breaches/{pk}/withdraw", {"reason": "误报"})
    assert r.status_code == 200 and r.json()["stage"] == "withdrawn"


def test_a_representative_of_the_same_group_sees_nothing(
    actors, county, catalogue, clock, media, report
):
    from tests.support.factories import appoint

    breach = report()
    other = appoint(county, 3, "丙代表")
    other.user = make_user("13700000077", "丙代表号", "representative", county.group_a)
    other.save(update_fields=["user"])
    api = ApiClient(other.user)
    assert api.get(f"/conduct/breaches/{breach.pk}").status_code == 404
    assert api.get("/conduct/breaches").json()["count"] == 0
    assert api.post(f"/conduct/breaches/{breach.pk}/statement", {"text": "x"}).status_code == 404
    # The representative concerned sees it; so does the village cadre, not town B.
    assert ApiClient(actors.rep).get("/conduct/breaches", mine=True).json()["count"] == 1
    assert ApiClient(actors.group_leader).get("/conduct/breaches").json()["count"] == 1
    assert ApiClient(actors.town_b).get("/conduct/breaches").json()["count"] == 0
    assert ApiClient(actors.town_b).get(f"/conduct/breaches/{breach.pk}").status_code == 404


def test_list_filters_and_paging(actors, county, catalogue, clock, media, report):
    first = report("FM-01")
    report("FM-04")
    clock.set(first.respond_by + dt.timedelta(days=1))
    api = ApiClient(actors.town)
    assert api.get("/conduct/breaches", severity="severe").json()["count"] == 1
    assert api.get("/conduct/breaches", overdue=True).json()["count"] == 2
    assert api.get("/conduct/breaches", stage="stated").json()["count"] == 0
    page = api.get("/conduct/breaches", page_size=1).json()
    assert page["pages"] == 2 and len(page["items"]) == 1
    assert api.get("/conduct/breaches", unit=county.village_a.pk).json()["count"] == 2
    assert api.get("/conduct/breaches", unit=county.village_b.pk).status_code == 404


def test_evidence_photos_and_documents(actors, county, catalogue, clock, media, report):
    breach = report()
    api = ApiClient(actors.village)
    r = api.client.post(
        f"/api/v1/conduct/breaches/{breach.pk}/evidence",
        {
            "photos": [upload("a.png"), upload("b.png")],
            "documents": [upload("note.txt", "村民证言".encode(), "text/plain")],
        },
        headers=api.headers,
    )
    assert r.status_code == 201 and r.json() == {"added": 3}
    detail = api.get(f"/conduct/breaches/{breach.pk}").json()
    assert sorted(e["kind"] for e in detail["evidence"]) == ["document", "photo", "photo"]
    # The file is served to who sees the record, and to nobody else.
    url = detail["evidence"][0]["url"]
    viewer = Client()
    viewer.force_login(actors.rep)
    assert viewer.get(url).status_code == 200
    stranger = Client()
    stranger.force_login(actors.rep_b)
    assert stranger.get(url).status_code == 404


def test_evidence_limits(actors, county, catalogue, clock, media, report, settings):
    breach = report()
    api = ApiClient(actors.village)
    path = f"/api/v1/conduct/breaches/{breach.pk}/evidence"
    too_many = [upload(f"{n}.png") for n in range(settings.LINLI["PHOTO_MAX_COUNT"] + 1)]
    r = api.client.post(path, {"photos": too_many}, headers=api.headers)
    assert r.status_code == 400 and r.json()["code"] == "photo_count"
    r = api.client.post(path, {"photos": [upload("x.png", b"not an image")]}, headers=api.headers)
    assert r.status_code == 400 and r.json()["code"] == "photo_not_image"
    r = api.client.post(
        path,
        {"documents": [upload("x.exe", b"MZ\x90\x00", "application/octet-stream")]},
        headers=api.headers,
    )
    assert r.status_code == 400 and r.json()["code"] == "document_type"
    docs = [upload(f"{n}.txt", b"text", "text/plain") for n in range(6)]
    r = api.client.post(path, {"documents": docs}, headers=api.headers)
    assert r.status_code == 400 and r.json()["code"] == "document_count"
    big = upload("big.pdf", b"%PDF-" + b"0" * DOCUMENT_MAX_BYTES, "application/pdf")
    r = api.client.post(path, {"documents": [big]}, headers=api.headers)
    assert r.status_code == 400 and r.json()["code"] == "document_too_large"
    r = api.client.post(path, {}, headers=api.headers)
    assert r.status_code == 400
    assert not BreachEvidence.objects.exists()
    # A closed record takes no more evidence.
    from linli.conduct import services

    services.breach_dismiss(actor=actors.town, breach=breach, reason="不属实")
    r = api.client.post(path, {"photos": [upload()]}, headers=api.headers)
    assert r.status_code == 409 and r.json()["code"] == "breach_closed"


def test_report_with_photos_by_multipart(actors, county, catalogue, clock, media):
    import json

    api = ApiClient(actors.village)
    r = api.client.post(
        "/api/v1/conduct/breaches",
        {
            "payload": json.dumps(_body(county, catalogue, clock)),
            "photos": [upload("p.png", png_bytes())],
        },
        headers=api.headers,
    )
    assert r.status_code == 201, r.content
    assert len(r.json()["evidence"]) == 1


def test_a_retried_report_makes_one_record(actors, county, catalogue, clock, media):
    api = ApiClient(actors.village)
    body = _body(county, catalogue, clock)
    headers = {**api.headers, "Idempotency-Key": "conduct-report-retry-0001"}
    first, again = (
        api.client.post(
            "/api/v1/conduct/breaches", body, content_type="application/json", headers=headers
        )
        for _ in range(2)
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Breach.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"description": "含\u0000空字符"},
        {"description": "x" * 5001},
        {"occurred_on": "0001-01-01"},
        {"occurred_on": "2026-13-40"},
        {"representative_id": 2**63},
        {"entry_id": -1},
        {"place": "换\n行"},
        {"description": ""},
    ],
)
def test_hostile_report_input_is_a_400(actors, county, catalogue, clock, media, change):
    api = ApiClient(actors.village)
    r = api.post("/conduct/breaches", _body(county, catalogue, clock, **change))
    assert r.status_code == 400, r.content
    assert set(r.json()) >= {"code", "message"}
    assert not Breach.objects.exists()


def test_hostile_review_and_statement_input_is_a_400(actors, report, media):
    breach = report()
    api = ApiClient(actors.town)
    for path, body in [
        (f"/conduct/breaches/{breach.pk}/statement", {"text": "\ud800"}),
        (f"/conduct/breaches/{breach.pk}/dismiss", {"reason": "x" * 2001}),
        (f"/conduct/breaches/{breach.pk}/dismiss", {"reason": "   "}),
        (f"/conduct/breaches/{breach.pk}/confirm", {}),
    ]:
        r = api.post(path, body)
        assert r.status_code == 400, (path, r.content)
    assert api.get("/conduct/breaches", stage="nope").status_code == 400
    assert api.get("/conduct/breaches/99999999999999999999").status_code in (400, 404)
    breach.refresh_from_db()
    assert breach.stage == BreachStage.REPORTED


# --- the catalogue ------------------------------------------------------------------------------


def test_the_catalogue_city_and_town_lists(actors, county, catalogue, media):
    city = ApiClient(actors.city)
    # The city role held at the root writes the city's list.
    r = city.post("/conduct/entries", {"code": "FM-20", "title": "新条目", "severity": "minor"})
    assert r.status_code == 201 and r.json()["unit_id"] is None
    town = ApiClient(actors.town)
    r = town.post("/conduct/entries", {"code": "FM-21", "title": "镇改全市", "severity": "minor"})
    assert r.status_code == 403
    r = town.post(
        "/conduct/entries",
        {
            "code": "DY-05",
            "title": "大瑶镇条目",
            "severity": "serious",
            "unit_id": county.town_a.pk,
        },
    )
    assert r.status_code == 201 and r.json()["unit_name"] == county.town_a.name
    # A town can neither lower nor deactivate the city's entries.
    fm01 = catalogue["FM-01"]
    r = town.send(
        "PUT",
        f"/conduct/entries/{fm01.pk}",
        {"title": fm01.title, "severity": "minor", "active": False},
    )
    assert r.status_code == 403
    fm01.refresh_from_db()
    assert fm01.severity == "severe" and fm01.active
    # Town B does not see town A's entry; town A's representative does.
    codes_b = {e["code"] for e in ApiClient(actors.town_b).get("/conduct/entries").json()["items"]}
    codes_rep = {e["code"] for e in ApiClient(actors.rep).get("/conduct/entries").json()["items"]}
    assert "DY-05" not in codes_b and "FM-01" in codes_b
    assert "DY-05" in codes_rep
    assert NegativeEntry.objects.filter(code="DY-05", unit=county.town_a).exists()


def test_the_list_does_not_grow_queries_with_rows(
    actors, report, media, django_assert_max_num_queries
):
    report()
    api = ApiClient(actors.town)
    api.get("/conduct/breaches")
    for _ in range(6):
        report()
    with django_assert_max_num_queries(12):
        assert api.get("/conduct/breaches").json()["count"] == 7
