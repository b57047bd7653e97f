"""Helpers for API contract tests: URLs, JSON requests, logged-in clients."""

import pytest

from linli.accounts.models import Role

API = "/api/v1"


def url(path: str) -> str:
    return f"{API}{path}"


def post(client, path: str, data: dict | None = None, **kwargs):
    return client.post(url(path), data or {}, content_type="application/json", **kwargs)


def patch(client, path: str, data: dict, **kwargs):
    return client.patch(url(path), data, content_type="application/json", **kwargs)


def get(client, path: str, **params):
    return client.get(url(path), params)


def ids(response) -> set[int]:
    body = response.json()
    rows = body["items"] if isinstance(body, dict) else body
    return {row["id"] for row in rows}


@pytest.fixture
def su_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def login_as(client, user_in_town_a):
    """Factory: the test client logged in as a user with `role` in town A."""

    def make(role: Role):
        user = user_in_town_a(role)
        client.force_login(user)
        return client

    return make
