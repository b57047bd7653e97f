"""Fixtures of the notification tests: recipients, an administrator, fake backends."""

import pytest

from linli.accounts.models import Role
from linli.org import services as org_services
from linli.org.models import UnitKind
from tests.support.roles import make_user

from .fakes import FlakySms, Receiver


@pytest.fixture
def user(db):
    return make_user("13711110001", "李大祥")


@pytest.fixture
def other_user(db):
    return make_user("13711110002", "刘生辉")


@pytest.fixture
def city(superuser):
    return org_services.unit_create(
        actor=superuser, parent=None, kind=UnitKind.CITY, name="浏阳市", code="430181000000"
    )


@pytest.fixture
def admin_user(city):
    """A holder of the administrator role (not a superuser)."""
    return make_user("13711110009", "管理员", Role.ADMIN, city)


@pytest.fixture
def linli(settings):
    """Change LINLI settings for one test: `linli(SMS_BACKEND="http")`."""

    def change(**values):
        settings.LINLI = {**settings.LINLI, **values}

    return change


@pytest.fixture
def flaky_sms(linli):
    FlakySms.reset()
    linli(SMS_BACKEND="tests.notify.fakes.FlakySms")
    yield FlakySms
    FlakySms.reset()


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r
