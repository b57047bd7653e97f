"""Authentication, CSRF and the OpenAPI page."""

import pytest
from django.test import Client

from linli.accounts.models import Role
from tests.support.api import get, post, url
from tests.support.twofactor import enrol, fresh_code


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/units"),
        ("get", "/households"),
        ("get", "/members"),
        ("get", "/coverage"),
        ("post", "/households"),
        ("post", "/links"),
    ],
)
def test_unauthenticated_requests_get_401(client, county, method, path):
    response = getattr(client, method)(url(path), content_type="application/json")
    assert response.status_code == 401


def _token(client, user, password: str = "pw-test-123") -> str:
    """A token for a town cadre, who must send a two-factor code with the password."""
    body = {"phone": user.phone, "password": password, "otp": fresh_code(enrol(user))}
    response = post(client, "/auth/token", body)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_a_bearer_token_from_auth_token_authenticates(county, user_in_town_a):
    user = user_in_town_a(Role.TOWN)
    client = Client()
    key = _token(client, user)
    headers = {"Authorization": f"Bearer {key}"}

    response = client.get(url("/households"), headers=headers)

    assert response.status_code == 200
    assert response.json()["count"] == len(county.households_a)


def test_a_bearer_token_write_needs_no_csrf_token(county, user_in_town_a):
    user = user_in_town_a(Role.TOWN)
    client = Client(enforce_csrf_checks=True)
    key = _token(client, user)

    response = post(
        client,
        "/households",
        {"unit_id": county.group_a.pk, "head_name": "李新", "address": "一组99号"},
        headers={"Authorization": f"Bearer {key}"},
    )

    assert response.status_code == 201, response.content


def test_a_wrong_token_is_401(client, county):
    response = client.get(url("/units"), headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401


def test_a_wrong_password_gets_no_token(client, county, superuser):
    response = post(client, "/auth/token", {"phone": superuser.phone, "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["code"] == "bad_credentials"


def test_a_session_post_without_csrf_token_is_refused(county, superuser):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    body = {"parent_id": county.town_a.pk, "kind": "village", "name": "新村"}

    refused = post(client, "/units", body)
    assert refused.status_code == 403

    # The same request with the CSRF cookie and header goes through.
    client.cookies["csrftoken"] = "a" * 32
    accepted = post(client, "/units", body, headers={"X-CSRFToken": "a" * 32})
    assert accepted.status_code == 201, accepted.content


def test_a_session_get_needs_no_csrf_token(county, superuser):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    assert get(client, "/units").status_code == 200


def test_openapi_schema_renders_with_every_org_path(client):
    response = client.get(url("/openapi.json"))
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/units",
        "/units/{unit_id}",
        "/units/{unit_id}/children",
        "/households",
        "/households/{household_id}",
        "/households/{household_id}/link/end",
        "/members",
        "/members/{member_id}",
        "/members/{member_id}/reveal",
        "/representatives",
        "/representatives/{representative_id}",
        "/representatives/{representative_id}/end-term",
        "/links",
        "/places",
        "/places/{place_id}/assign",
        "/teams",
        "/teams/{team_id}/members",
        "/coverage",
        "/coverage/uncovered",
    ]:
        assert url(path) in paths, path
    for operations in paths.values():
        for op in operations.values():
            assert op.get("summary") and op.get("tags")


def test_openapi_docs_page_renders(client):
    assert client.get(url("/docs")).status_code == 200
