"""Shared fixtures; what they build lives in the test kit (`tests/support`)."""

from __future__ import annotations

import pytest

from linli.accounts.models import Role, User
from tests.api.contract import api_answers_are_documented  # noqa: F401 (autouse fixture)
from tests.support.factories import County, seed_reference_data, valid_id_number
from tests.support.roles import ROLE_UNITS, make_superuser, make_user, user_in_town
from tests.support.services import REQUIRE_SERVICES, require_service

# Re-exported: tests written before the kit import these from here.
__all__ = [
    "REQUIRE_SERVICES",
    "ROLE_UNITS",
    "County",
    "make_user",
    "require_service",
    "valid_id_number",
]


@pytest.fixture
def superuser(db):
    return make_superuser()


@pytest.fixture
def county(superuser):
    return County(superuser)


@pytest.fixture
def user_in_town_a(county):
    """Factory: a user with `role` somewhere in town A (a representative: rep_a's account)."""

    def make(role: Role) -> User:
        return user_in_town(county, role, "a")

    return make


@pytest.fixture(autouse=True)
def _force_login_passes_two_factor(monkeypatch):
    """`client.force_login(user)` is a whole login, both steps: a user who has or needs
    an authenticator gets one (if missing) and a verified session
    (`tests/support/twofactor.py`). The check itself stays on: password logins and
    `client.force_login(user, verified=False)` meet the second step."""
    from django.test import Client

    from tests.support.twofactor import needs_second_step, verify_session

    original = Client.force_login

    def force_login(self, user, backend=None, *, verified=True):
        original(self, user, backend)
        if verified and needs_second_step(user):
            verify_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _fresh_working_day_calendar():
    """Tests roll back calendar rows; the per-process calendar cache must not outlive them."""
    from linli.core import calendar

    calendar.invalidate()
    yield
    calendar.invalidate()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with no attempts counted (core/ratelimit.py keeps them in the cache)."""
    from django.core.cache import cache

    from linli.core import ratelimit

    ratelimit.forget_outage()
    try:
        cache.clear()
    except Exception:  # noqa: BLE001 - a stopped Redis: the limiter fails open anyway
        pass


@pytest.fixture
def reference_data(db):
    """Re-run the seed migrations (idempotent) for transactional tests.

    A transactional test's teardown flushes every table, taking the data that
    migrations seeded (departments, appeal categories, deadline policies, the
    holiday calendar) with it; tests that run after one call this fixture.
    """
    seed_reference_data()


@pytest.fixture(scope="session", autouse=True)
def _plain_static_storage():
    """The suite runs without `collectstatic`: templates name static files through
    the plain storage. Production's hashed, compressed names need the manifest
    that collectstatic writes; tests/core/test_static.py collects and serves them."""
    from django.conf import settings
    from django.test import override_settings

    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}):
        yield
