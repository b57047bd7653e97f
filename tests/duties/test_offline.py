"""One-tap contacts made offline: the tap's key makes the write idempotent, the
phone's date is kept within the late-entry window, and the service worker of the
duties pages is served under /duties/ only."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.urls import reverse

from linli.core.errors import InvalidInput
from linli.core.timeutil import today
from linli.duties import services
from linli.duties.models import ContactLog
from tests.support.roles import Actors

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "owed"}


@pytest.fixture
def actors(county):
    return Actors(county)


def log(actor, rep, household, **kw):
    return services.contact_log(actor=actor, representative=rep, household=household, **kw)


# --- the service ---------------------------------------------------------------------------


def test_the_same_key_twice_records_one_contact_and_returns_it(actors):
    county, key = actors.county, uuid.uuid4()
    first = log(actors.rep, county.rep_a, county.households_a[0], client_key=key)
    again = log(actors.rep, county.rep_a, county.households_a[0], client_key=str(key), note="x")
    assert again.pk == first.pk and again.note == ""
    assert ContactLog.objects.count() == 1
    assert ContactLog.objects.get().client_key == key


def test_different_keys_record_two_contacts(actors):
    county = actors.county
    log(actors.rep, county.rep_a, county.households_a[0], client_key=uuid.uuid4())
    log(actors.rep, county.rep_a, county.households_a[0], client_key=uuid.uuid4())
    assert ContactLog.objects.count() == 2


def test_without_a_key_every_call_records(actors):
    county = actors.county
    log(actors.rep, county.rep_a, county.households_a[0])
    log(actors.rep, county.rep_a, county.households_a[0])
    assert ContactLog.objects.filter(client_key__isnull=True).count() == 2


def test_a_key_used_by_another_representative_is_refused_and_reveals_nothing(actors):
    county, key = actors.county, uuid.uuid4()
    mine = log(actors.rep, county.rep_a, county.households_a[0], client_key=key)
    with pytest.raises(InvalidInput) as exc:
        log(actors.rep_b, county.rep_b, county.households_b[0], client_key=key)
    assert exc.value.code == "client_key"
    assert ContactLog.objects.get() == mine


def test_a_key_reused_for_another_household_is_refused(actors):
    county, key = actors.county, uuid.uuid4()
    log(actors.rep, county.rep_a, county.households_a[0], client_key=key)
    with pytest.raises(InvalidInput) as exc:
        log(actors.rep, county.rep_a, county.households_a[1], client_key=key)
    assert exc.value.code == "client_key"
    assert ContactLog.objects.count() == 1


def test_a_malformed_key_is_refused(actors):
    county = actors.county
    with pytest.raises(InvalidInput) as exc:
        log(actors.rep, county.rep_a, county.households_a[0], client_key="not-a-uuid")
    assert exc.value.code == "client_key"
    assert not ContactLog.objects.exists()


def test_a_withdrawn_tap_sent_again_is_not_recorded_again(actors):
    county, key = actors.county, uuid.uuid4()
    first = log(actors.rep, county.rep_a, county.households_a[0], client_key=key)
    void = services.record_withdraw(actor=actors.rep, record=first, reason="点错了")
    assert void.client_key is None
    again = log(actors.rep, county.rep_a, county.households_a[0], client_key=key)
    assert again.pk == first.pk
    assert ContactLog.objects.count() == 2  # the record and its withdrawal


def test_a_concurrent_insert_with_the_same_key_returns_the_winner(actors, monkeypatch):
    """The lookup misses (the other request has not committed yet), the insert hits
    the unique constraint: the savepoint is rolled back and the winner returned."""
    county, key = actors.county, uuid.uuid4()
    winner = log(actors.rep, county.rep_a, county.households_a[0], client_key=key)
    real = services._contact_by_key
    calls = []

    def miss_first(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(services, "_contact_by_key", miss_first)
    again = log(actors.rep, county.rep_a, county.households_a[0], client_key=key)
    assert again.pk == winner.pk and len(calls) == 2
    assert ContactLog.objects.count() == 1


# --- the one-tap view ----------------------------------------------------------------------


def _tap(client, household, **extra):
    data = {"household": household.pk, **extra}
    return client.post(reverse("duties:contact_quick"), data, **JSON)


def test_a_queued_tap_is_recorded_on_its_day_once(client, actors):
    county = actors.county
    client.force_login(actors.rep)
    key, day = str(uuid.uuid4()), today() - dt.timedelta(days=3)
    r = _tap(client, county.households_a[0], client_key=key, day=day.isoformat())
    assert r.status_code == 200
    body = r.json()
    contact = ContactLog.objects.get()
    assert body == {
        "id": contact.pk,
        "household": county.households_a[0].pk,
        "day": day.isoformat(),
    }
    assert (contact.day, str(contact.client_key)) == (day, key)
    # Sent again (the phone did not hear the answer): the same record, nothing new.
    r = _tap(client, county.households_a[0], client_key=key, day=day.isoformat())
    assert r.status_code == 200 and r.json()["id"] == contact.pk
    assert ContactLog.objects.count() == 1


def test_a_tap_queued_beyond_the_window_is_refused_in_chinese(client, actors):
    county = actors.county
    client.force_login(actors.rep)
    day = today() - dt.timedelta(days=15)
    r = _tap(client, county.households_a[0], client_key=str(uuid.uuid4()), day=day.isoformat())
    assert r.status_code == 400
    assert r.json() == {"code": "date_too_late", "message": "记录最多只能补录 14 天以内的。"}
    future = today() + dt.timedelta(days=1)
    r = _tap(client, county.households_a[0], client_key=str(uuid.uuid4()), day=future.isoformat())
    assert (r.status_code, r.json()["code"]) == (400, "date_future")
    assert not ContactLog.objects.exists()


def test_the_htmx_tap_takes_the_key_and_day_too(client, actors):
    county = actors.county
    client.force_login(actors.rep)
    key, day = str(uuid.uuid4()), today() - dt.timedelta(days=1)
    data = {"household": county.households_a[1].pk, "client_key": key, "day": day.isoformat()}
    for _ in range(2):
        r = client.post(reverse("duties:contact_quick"), data, **HTMX)
        assert r.status_code == 200 and "msg-success" in r.content.decode()
    assert ContactLog.objects.get().day == day


def test_a_tap_for_a_household_not_served_answers_400_with_the_reason(client, actors):
    county = actors.county
    client.force_login(actors.rep)
    r = _tap(client, county.households_b[0], client_key=str(uuid.uuid4()))
    assert r.status_code == 400 and r.json()["code"] in ("not_linked", "not_found")
    r = _tap(client, county.households_a[0], client_key="x")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    assert not ContactLog.objects.exists()


def test_a_key_of_another_representative_answers_400(client, actors):
    county, key = actors.county, uuid.uuid4()
    log(actors.rep, county.rep_a, county.households_a[0], client_key=key)
    client.force_login(actors.rep_b)
    r = _tap(client, county.households_b[0], client_key=str(key))
    assert (r.status_code, r.json()["code"]) == (400, "client_key")
    assert "标识" in r.json()["message"]
    assert ContactLog.objects.count() == 1


def test_a_user_who_is_not_a_representative_gets_404_json(client, actors):
    client.force_login(actors.village)
    r = _tap(client, actors.county.households_a[0], client_key=str(uuid.uuid4()))
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_the_owed_list_refresh_after_a_sync(client, actors):
    county = actors.county
    client.force_login(actors.rep)
    log(actors.rep, county.rep_a, county.households_a[0], client_key=uuid.uuid4())
    r = client.get(reverse("duties:mine"), **HTMX)
    html = r.content.decode()
    assert html.startswith('<section id="owed"')
    assert f'id="owed-{county.households_a[0].pk}"' not in html
    assert 'hx-swap-oob="true"' in html  # the history too


def test_the_api_takes_the_key(client, actors):
    county, key = actors.county, str(uuid.uuid4())
    client.force_login(actors.rep)
    payload = json.dumps({"household_id": county.households_a[0].pk, "client_key": key})
    ids = {
        client.post("/api/v1/duties/contacts", payload, content_type="application/json").json()[
            "id"
        ]
        for _ in range(2)
    }
    assert len(ids) == 1 and ContactLog.objects.count() == 1


# --- the service worker and its registration -----------------------------------------------


def test_the_service_worker_is_served_under_duties_as_javascript(client):
    url = reverse("duties:sw")
    assert url == "/duties/sw.js"
    r = client.get(url)  # no account needed: it holds no data
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/javascript")
    assert "no-cache" in r["Cache-Control"]
    assert "Service-Worker-Allowed" not in r
    body = r.content.decode()
    assert 'const CACHE = "linli-duties-' in body and "{{" not in body
    assert 'request.method !== "GET"' in body
    assert client.post(url).status_code == 405


def test_the_representatives_page_registers_the_worker_and_others_do_not(client, actors):
    client.force_login(actors.rep)
    html = client.get(reverse("duties:mine")).content.decode()
    assert "linli/duties-offline.js" in html
    assert 'data-sw="/duties/sw.js"' in html and 'data-scope="/duties/"' in html
    assert 'id="offline-banner"' in html and "离线：{n} 条联系待同步" in html
    assert "待同步" in html
    for other in (reverse("home"), reverse("appeals:queue")):
        assert "duties-offline.js" not in client.get(other).content.decode()
