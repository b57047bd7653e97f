"""The error pages (issue 10, defect 3): styled, in Chinese, with the navigation and a
way back; the API keeps its JSON errors. The test client runs with DEBUG off, as
production does, so Django answers through `handler404/403/500`."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linli.accounts.models import Role
from linli.core import views as error_views

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def body(response) -> str:
    return response.content.decode()


def test_an_unknown_page_is_the_styled_404_in_chinese(client, county, user_in_town_a):
    client.force_login(user_in_town_a(Role.TOWN))
    response = client.get("/no-such-page/", HTTP_REFERER="http://testserver/org/units/", **ZH)
    assert response.status_code == 404
    text = body(response)
    assert "页面不存在" in text and "Not Found" not in text
    # The navigation, and the way back to the previous page and home.
    assert 'class="mainnav"' in text and 'href="/org/households/"' in text
    assert 'href="http://testserver/org/units/" id="error-back"' in text
    assert 'href="/" id="error-home"' in text


def test_a_foreign_referer_is_not_offered_as_the_way_back(client, county, user_in_town_a):
    client.force_login(user_in_town_a(Role.TOWN))
    response = client.get("/no-such-page/", HTTP_REFERER="https://evil.example/", **ZH)
    assert response.status_code == 404 and "evil.example" not in body(response)


def test_a_mistyped_tracking_code_is_the_404_page_for_a_visitor(client, reference_data):
    response = client.get(reverse("appeals:track_detail", args=["NOSUCHCODE1"]), **ZH)
    assert response.status_code == 404
    text = body(response)
    assert "页面不存在" in text
    # A resident has no home page: they are offered tracking and reporting instead.
    assert f'href="{reverse("appeals:track")}"' in text
    assert f'href="{reverse("appeals:report")}"' in text


def test_an_appeal_outside_a_representatives_scope_is_the_404_page(
    client, county, reference_data, user_in_town_a
):
    from tests.support import factories

    appeal = factories.appeal(county.households_b[0])
    client.force_login(user_in_town_a(Role.REPRESENTATIVE))
    response = client.get(reverse("appeals:detail", args=[appeal.code]), **ZH)
    assert response.status_code == 404
    text = body(response)
    assert "页面不存在" in text and factories.APPEAL_TEXT not in text
    assert 'class="mainnav"' in text


def test_the_api_keeps_json_for_an_unknown_address(client):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


def test_the_api_keeps_json_for_an_unknown_object(client, county):
    client.force_login(county.superuser)
    response = client.get("/api/v1/households/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.urls("tests.core.error_urls")
def test_a_crashing_page_is_the_styled_500_in_chinese(db):
    client = Client(raise_request_exception=False)
    response = client.get("/test-errors/crash/", **ZH)
    assert response.status_code == 500
    text = body(response)
    assert "出错了" in text and "Server Error" not in text
    assert 'href="/"' in text


@pytest.mark.urls("tests.core.error_urls")
def test_a_crashing_api_call_answers_json(db):
    client = Client(raise_request_exception=False)
    # Outside ninja (an unknown path) the project's 500 handler still answers JSON.
    request = RequestFactory().get("/api/v1/anything")
    response = error_views.server_error(request)
    assert response.status_code == 500 and b'"server_error"' in response.content
    assert client.get("/test-errors/crash/").status_code == 500


def test_the_500_page_needs_no_database(db):
    request = RequestFactory().get("/somewhere/")
    with CaptureQueriesContext(connection) as queries:
        response = error_views.server_error(request)
    assert response.status_code == 500 and len(queries) == 0
    assert "<main" in body(response)  # the base template, not the fallback


def test_the_500_page_falls_back_to_fixed_html_when_the_template_fails(monkeypatch, db):
    def broken(name):
        raise RuntimeError("templates are broken too")

    monkeypatch.setattr(error_views.loader, "get_template", broken)
    response = error_views.server_error(RequestFactory().get("/somewhere/"))
    assert response.status_code == 500 and "<h1>" in body(response)


@pytest.mark.urls("tests.core.error_urls")
def test_a_domain_error_escaping_a_page_view_gets_its_status(client, county, user_in_town_a):
    client.force_login(user_in_town_a(Role.TOWN))
    not_found = client.get("/test-errors/not-found/", **ZH)
    assert not_found.status_code == 404 and "页面不存在" in body(not_found)
    forbidden = client.get("/test-errors/forbidden/", **ZH)
    assert forbidden.status_code == 403 and "您无权打开此页面" in body(forbidden)
