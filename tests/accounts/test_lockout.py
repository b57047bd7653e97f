"""Login lockout (accounts/lockout.py): the token endpoint and the login page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from linli.accounts.models import AuditLog
from tests.support.api import post
from tests.support.clock import LimiterClock
from tests.support.roles import PASSWORD, make_user

pytestmark = pytest.mark.django_db

PHONE = "13800138011"
UNKNOWN = "13800138099"


@pytest.fixture
def clock(monkeypatch):
    return LimiterClock(monkeypatch)


@pytest.fixture
def user(db):
    return make_user(PHONE, "王干部")


def token(client: Client, phone: str, password: str, addr: str = "10.0.0.1"):
    return post(client, "/auth/token", {"phone": phone, "password": password}, REMOTE_ADDR=addr)


def page_login(client: Client, phone: str, password: str, addr: str = "10.0.0.1"):
    return client.post(
        reverse("accounts:login"), {"username": phone, "password": password}, REMOTE_ADDR=addr
    )


def test_token_after_30_wrong_passwords_the_right_one_is_refused(client, user, clock):
    answers = [token(client, PHONE, f"wrong-{i}").status_code for i in range(30)]
    assert answers[:4] == [401] * 4
    assert set(answers[4:]) == {429}  # the 5th failure locks the account

    response = token(client, PHONE, PASSWORD)

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert body["details"]["retry_after"] == 15 * 60 - 5
    assert response["Retry-After"] == str(15 * 60 - 5)
    assert "token" not in body


def test_page_after_30_wrong_passwords_the_right_one_is_refused(client, user, clock):
    for i in range(30):
        page_login(client, PHONE, f"wrong-{i}")

    response = page_login(client, PHONE, PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60 - 5)
    assert "_auth_user_id" not in client.session
    text = response.content.decode()
    assert "登录失败次数过多" in text and "15 分钟" in text


def test_page_and_token_share_the_account_count(client, user, clock):
    for i in range(3):
        page_login(client, PHONE, f"wrong-{i}")
    assert token(client, PHONE, "wrong").status_code == 401
    assert token(client, PHONE, "wrong").status_code == 429
    assert page_login(client, PHONE, PASSWORD).status_code == 429


def test_unknown_phone_and_wrong_password_answer_alike(client, user, clock):
    for _ in range(7):
        known = token(client, PHONE, "wrong", addr="10.0.0.1")
        unknown = token(client, UNKNOWN, "wrong", addr="10.0.0.2")
        assert known.status_code == unknown.status_code
        assert known.json() == unknown.json()
        assert known.get("Retry-After") == unknown.get("Retry-After")

    known_page = page_login(client, PHONE, "wrong", addr="10.0.0.3")
    unknown_page = page_login(client, UNKNOWN, "wrong", addr="10.0.0.4")
    assert known_page.status_code == unknown_page.status_code == 429
    fresh = Client()
    first_known = page_login(fresh, "13800138012", "wrong", addr="10.0.0.5")
    first_unknown = page_login(fresh, "13800138013", "wrong", addr="10.0.0.6")
    assert first_known.status_code == first_unknown.status_code == 200
    assert "手机号或密码错误" in first_known.content.decode()
    assert "手机号或密码错误" in first_unknown.content.decode()


def test_an_address_is_locked_after_20_failures_whatever_the_accounts(client, user, clock):
    for i in range(20):
        token(client, f"1380013{8100 + i}", "wrong", addr="10.0.0.9")

    assert token(client, PHONE, PASSWORD, addr="10.0.0.9").status_code == 429
    assert token(client, PHONE, PASSWORD, addr="10.0.0.10").status_code == 200


def test_a_successful_login_resets_the_account_count(client, user, clock):
    for _ in range(2):
        for i in range(4):
            assert token(client, PHONE, f"wrong-{i}").status_code == 401
        assert token(client, PHONE, PASSWORD).status_code == 200
    # The count started over at the last success: four more failures, then the lock.
    answers = [token(client, PHONE, f"again-{i}").status_code for i in range(5)]
    assert answers == [401] * 4 + [429]


def test_the_lock_ends_with_its_window(client, user, clock):
    for i in range(5):
        token(client, PHONE, f"wrong-{i}")
    assert token(client, PHONE, PASSWORD).status_code == 429

    clock.advance(15 * 60 - 5)

    assert token(client, PHONE, PASSWORD).status_code == 200


def test_a_lockout_is_audited_once(client, user, clock):
    for i in range(8):
        token(client, PHONE, f"wrong-{i}")

    rows = AuditLog.objects.filter(action="login.lockout")
    assert rows.count() == 1
    row = rows.get()
    assert row.target_id == "138****8011"
    assert row.detail["locked"] == "account"


def test_the_admin_login_is_behind_the_same_lockout(client, clock):
    from tests.support.roles import SUPERUSER_PASSWORD, make_superuser

    admin_user = make_superuser()
    login = reverse("admin:login")
    for i in range(5):
        client.post(login, {"username": admin_user.phone, "password": f"wrong-{i}"})

    response = client.post(
        login, {"username": admin_user.phone, "password": SUPERUSER_PASSWORD}, follow=False
    )

    assert response.status_code != 302
    assert "_auth_user_id" not in client.session
    assert "登录失败次数过多" in response.content.decode()
