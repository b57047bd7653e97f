"""Fixtures of the API contract tests; the helpers live in `tests.support.api`."""

import pytest

from linli.accounts.models import Role
from tests.support.api import API, get, ids, patch, post, url

# Re-exported: the tests of this folder import them from here.
__all__ = ["API", "get", "ids", "patch", "post", "url"]


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
