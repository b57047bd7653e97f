"""The database out of reach mid-request: 503 with Retry-After, never 500 (issue 11)."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from linli.appeals import services
from linli.appeals.models import Appeal
from tests.support.api import ApiClient
from tests.support.factories import RESIDENT_PHONE
from tests.support.roles import Actors

pytestmark = pytest.mark.django_db


@pytest.fixture
def actors(reference_data, county):
    return Actors(county)


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_api_answers_503_unavailable_with_retry_after(actors, monkeypatch, error):
    def lost(**kw):
        raise error("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "appeal_file", lost)
    api = ApiClient(actors.town)
    r = api.post(
        "/appeals",
        {
            "category": "facilities",
            "description": "井盖松动",
            "household_id": actors.county.households_a[1].pk,
            "reporter_phone": RESIDENT_PHONE,
        },
    )
    assert r.status_code == 503
    assert r.json()["code"] == "unavailable" and r.json()["message"]
    assert int(r["Retry-After"]) > 0
    assert Appeal.objects.count() == 0


def test_a_page_answers_the_503_page(actors, monkeypatch):
    from linli.dashboard import views

    def lost(*args, **kw):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(views.selectors, "home_for", lost)
    client = Client(raise_request_exception=False)
    client.force_login(actors.town)
    r = client.get("/")
    assert r.status_code == 503
    assert int(r["Retry-After"]) > 0
    assert "text/html" in r["Content-Type"]
    assert "503" in r.content.decode()


def test_outside_a_view_the_500_handler_still_says_503(rf):
    import sys

    from linli.core import views

    request = rf.get("/api/v1/appeals")
    try:
        raise OperationalError("terminating connection due to administrator command")
    except OperationalError:
        assert sys.exc_info()[1] is not None
        r = views.server_error(request)
    assert r.status_code == 503 and r["Retry-After"]
