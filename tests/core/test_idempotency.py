"""Idempotency keys on the creates a phone or a partner system retries (issue 11):
a retried request never makes a second record."""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from linli.appeals.models import Appeal, AppealPhoto
from linli.core.crypto import blind_index
from linli.core.idempotency import idempotency_purge
from linli.core.models import IdempotencyKey
from linli.duties.models import ContactLog, Deliberation, HomeVisit
from linli.notify.models import Outbox
from tests.support.api import ApiClient
from tests.support.factories import RESIDENT_PHONE, png_bytes
from tests.support.roles import Actors

pytestmark = pytest.mark.django_db

KEY = "Idempotency-Key"


@pytest.fixture
def actors(reference_data, county):
    return Actors(county)


def _filing(actors) -> dict:
    return {
        "category": "facilities",
        "description": "井盖松动",
        "household_id": actors.county.households_a[1].pk,
        "reporter_phone": RESIDENT_PHONE,
        "channel": "hotline",
    }


def _post(api: ApiClient, path: str, body: dict, key: str):
    return api.client.post(
        f"/api/v1{path}",
        body,
        content_type="application/json",
        headers={**api.headers, KEY: key},
    )


def _key() -> str:
    return str(uuid.uuid4())


def test_a_retried_appeal_create_answers_the_first_answer_and_files_once(actors):
    api = ApiClient(actors.town)
    key = _key()
    first = _post(api, "/appeals", _filing(actors), key)
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    again = _post(api, "/appeals", _filing(actors), key)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Appeal.objects.count() == 1
    # Key order in the JSON body does not make another request.
    reordered = dict(reversed(list(_filing(actors).items())))
    assert _post(api, "/appeals", reordered, key).content == (first.content)
    assert Appeal.objects.count() == 1


def test_same_key_another_body_is_409_and_writes_nothing(actors):
    api = ApiClient(actors.town)
    key = _key()
    assert _post(api, "/appeals", _filing(actors), key).status_code == 201
    other = {**_filing(actors), "description": "路灯不亮"}
    r = _post(api, "/appeals", other, key)
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_reused"
    assert Appeal.objects.count() == 1


def test_keys_belong_to_their_principal(actors):
    key = _key()
    town, village = ApiClient(actors.town), ApiClient(actors.village)
    assert _post(town, "/appeals", _filing(actors), key).status_code == 201
    r = _post(village, "/appeals", _filing(actors), key)
    assert r.status_code == 201 and "Idempotent-Replayed" not in r
    assert Appeal.objects.count() == 2


def test_without_a_key_each_request_creates_and_a_bad_key_is_400(actors):
    api = ApiClient(actors.town)
    for _ in range(2):
        assert api.post("/appeals", _filing(actors)).status_code == 201
    assert Appeal.objects.count() == 2
    r = _post(api, "/appeals", _filing(actors), "short")
    assert r.status_code == 400 and r.json()["code"] == "idempotency_key_invalid"
    assert Appeal.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_a_refused_request_lets_the_key_go(actors):
    api = ApiClient(actors.town)
    key = _key()
    bad = {**_filing(actors), "category": "no-such"}
    r = _post(api, "/appeals", bad, key)
    assert r.status_code in (400, 404)
    assert not IdempotencyKey.objects.exists()
    r = _post(api, "/appeals", _filing(actors), key)
    assert r.status_code == 201 and "Idempotent-Replayed" not in r


def test_public_filing_replays_after_the_code_was_used(actors):
    c = Client()
    assert (
        c.post(
            "/api/v1/public/codes", {"phone": RESIDENT_PHONE}, content_type="application/json"
        ).status_code
        == 202
    )
    sms = Outbox.objects.filter(address_hash=blind_index(RESIDENT_PHONE), kind="appeal.code")
    body = sms.get().body
    code = re.search(r"\d{6}", body).group(0)
    payload = {
        "category": "facilities",
        "description": "井盖坏了",
        "unit_id": actors.county.group_a.pk,
        "phone": RESIDENT_PHONE,
        "code": code,
    }
    key = _key()
    first = c.post(
        "/api/v1/public/appeals", payload, content_type="application/json", headers={KEY: key}
    )
    assert first.status_code == 201, first.content
    # The code is spent; the retry still gets its answer, and no second appeal.
    again = c.post(
        "/api/v1/public/appeals", payload, content_type="application/json", headers={KEY: key}
    )
    assert again.status_code == 201 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Appeal.objects.count() == 1
    # Without the code nobody else replays it.
    r = c.post(
        "/api/v1/public/appeals",
        {**payload, "code": "000000"},
        content_type="application/json",
        headers={KEY: key},
    )
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_reused"


def _photos(n: int, tint: int = 0):
    return [
        SimpleUploadedFile(f"p{i}.png", png_bytes(color=(tint, i * 40, 90)), "image/png")
        for i in range(n)
    ]


def test_photo_upload_retried_adds_the_photos_once(actors):
    from tests.support import factories

    appeal = factories.appeal(household=actors.county.households_a[1])
    api = ApiClient(actors.rep)
    key = _key()

    def send():
        # A new multipart boundary every time, as a client library sends it.
        return api.client.post(
            f"/api/v1/appeals/{appeal.code}/photos",
            {"note": "现场照片", "files": _photos(2)},
            headers={**api.headers, KEY: key},
        )

    first = send()
    assert first.status_code == 200, first.content
    again = send()
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert AppealPhoto.objects.filter(appeal=appeal).count() == 2


def test_duty_records_retried_are_recorded_once(actors):
    county = actors.county
    rep = ApiClient(actors.rep)
    key = _key()
    body = {"household_id": county.households_a[0].pk, "method": "phone"}
    for _ in range(2):
        r = _post(rep, "/duties/contacts", body, key)
        assert r.status_code == 201, r.content
    assert ContactLog.objects.count() == 1

    key = _key()
    import json

    fields = json.dumps({"household_id": county.households_a[0].pk, "met": "户主"})
    visit = {"payload": fields, "photos": _photos(1)}
    for _ in range(2):
        r = rep.client.post("/api/v1/duties/visits", visit, headers={**rep.headers, KEY: key})
        assert r.status_code == 201, r.content
        visit["photos"] = _photos(1)
    assert HomeVisit.objects.count() == 1


def test_deliberation_retried_is_recorded_once(actors):
    county = actors.county
    town = ApiClient(actors.town)
    body = {
        "unit_id": county.village_a.pk,
        "organiser_ids": [county.rep_a.pk],
        "day": timezone.localdate().isoformat(),
        "topic": "修路",
        "place": "村委会",
        "attendee_count": 12,
    }
    key = _key()
    answers = [_post(town, "/duties/deliberations", body, key) for _ in range(2)]
    assert answers[0].status_code == 201, answers[0].content
    assert answers[1].content == answers[0].content
    assert Deliberation.objects.count() == 1


def test_the_key_is_documented_on_each_create():
    from linli.api import api

    document = api.get_openapi_schema()
    creates = [
        ("/api/v1/appeals", "post"),
        ("/api/v1/public/appeals", "post"),
        ("/api/v1/appeals/{code}/photos", "post"),
        ("/api/v1/duties/contacts", "post"),
        ("/api/v1/duties/visits", "post"),
        ("/api/v1/duties/deliberations", "post"),
        ("/api/v1/duties/reports", "post"),
    ]
    for path, method in creates:
        op = document["paths"][path][method]
        assert KEY in op["description"], path
        assert any(p["name"] == KEY and p["in"] == "header" for p in op["parameters"]), path
        assert 409 in op["responses"] or "409" in op["responses"], path


def test_old_keys_are_purged(actors):
    api = ApiClient(actors.town)
    _post(api, "/appeals", _filing(actors), _key())
    assert idempotency_purge() == 0
    assert idempotency_purge(now=timezone.now() + dt.timedelta(hours=49)) == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_key_at_once_create_once(reference_data, county):
    if connection.vendor != "postgresql":
        pytest.skip("the race runs in the PostgreSQL pass")
    actors = Actors(county)
    api = ApiClient(actors.town)
    key = _key()
    n = 6
    barrier = threading.Barrier(n)
    answers: list = [None] * n

    def run(i):
        try:
            client = Client()
            barrier.wait()
            answers[i] = client.post(
                "/api/v1/appeals",
                _filing(actors),
                content_type="application/json",
                headers={**api.headers, KEY: key},
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [201] * n
    assert len({a.content for a in answers}) == 1
    assert sum(1 for a in answers if a.get("Idempotent-Replayed") == "true") == n - 1
    assert Appeal.objects.count() == 1


def test_one_key_on_two_operations_is_409(actors):
    county = actors.county
    rep = ApiClient(actors.rep)
    key = _key()
    body = {"household_id": county.households_a[0].pk, "method": "phone"}
    assert _post(rep, "/duties/contacts", body, key).status_code == 201
    r = _post(
        rep, "/duties/visits", {"household_id": county.households_a[0].pk, "met": "户主"}, key
    )
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_reused"
    assert HomeVisit.objects.count() == 0
