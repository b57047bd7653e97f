"""Login by a one-time code sent by SMS: the service, the pages and the API pair."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from linli.accounts import sms_login
from linli.accounts.models import ApiToken, AuditLog, LoginCode, Role
from linli.core.crypto import blind_index
from linli.core.errors import InvalidInput, Throttled
from linli.notify.models import Outbox
from tests.support.api import post
from tests.support.roles import make_user

PHONE = "13712340001"
NOBODY = "13712340999"
CLIENT = "10.0.0.1"


@pytest.fixture(autouse=True)
def _fresh_counters():
    """The throttles count in the cache, which outlives a test's transaction."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rep_user(county):
    user = make_user(PHONE, "李代表", Role.REPRESENTATIVE, county.group_a)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def sms_to(phone: str) -> list[Outbox]:
    return list(
        Outbox.objects.filter(channel="sms", address_hash=blind_index(phone), kind="auth.code")
    )


def code_in(row: Outbox) -> str:
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", row.body)
    assert found, row.body
    return found.group(1)


def last_code(phone: str) -> str:
    return code_in(
        Outbox.objects.filter(address_hash=blind_index(phone), kind="auth.code").latest("id")
    )


# --- the service ------------------------------------------------------------------------------


def test_a_code_is_sent_stored_hashed_and_logs_in_once(rep_user):
    sms_login.code_request(phone=PHONE, client=CLIENT)
    [sms] = sms_to(PHONE)
    code = code_in(sms)
    row = LoginCode.objects.get(phone_hash=blind_index(PHONE))
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert dt.timedelta(minutes=9) < row.expires_at - timezone.now() <= dt.timedelta(minutes=10)

    assert sms_login.code_verify(phone=PHONE, code=code, client=CLIENT) == rep_user
    assert AuditLog.objects.filter(action="login.code", target_id=str(rep_user.pk)).exists()
    with pytest.raises(InvalidInput) as exc:  # spent
        sms_login.code_verify(phone=PHONE, code=code, client=CLIENT)
    assert exc.value.code == "code_invalid"


def test_an_unknown_number_gets_the_same_answer_and_no_sms(county):
    assert sms_login.code_request(phone=NOBODY, client=CLIENT) == NOBODY
    assert sms_to(NOBODY) == [] and not LoginCode.objects.exists()
    with pytest.raises(InvalidInput) as exc:
        sms_login.code_verify(phone=NOBODY, code="123456", client=CLIENT)
    assert exc.value.code == "code_invalid"


def test_an_inactive_account_gets_no_code(rep_user):
    rep_user.is_active = False
    rep_user.save(update_fields=["is_active"])
    sms_login.code_request(phone=PHONE, client=CLIENT)
    assert sms_to(PHONE) == []


def test_five_wrong_codes_lock_the_code(rep_user):
    sms_login.code_request(phone=PHONE, client=CLIENT)
    code = last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    answers = []
    for _ in range(5):
        with pytest.raises(InvalidInput) as exc:
            sms_login.code_verify(phone=PHONE, code=wrong, client=CLIENT)
        answers.append(exc.value.code)
    assert answers == ["code_invalid"] * 4 + ["code_locked"]
    with pytest.raises(InvalidInput) as exc:  # the right code no longer works
        sms_login.code_verify(phone=PHONE, code=code, client=CLIENT)
    assert exc.value.code == "code_locked"
    assert LoginCode.objects.get(phone_hash=blind_index(PHONE)).used_at is not None


def test_an_unknown_number_locks_alike(county):
    answers = []
    for _ in range(5):
        with pytest.raises(InvalidInput) as exc:
            sms_login.code_verify(phone=NOBODY, code="123456", client=CLIENT)
        answers.append(exc.value.code)
    assert answers == ["code_invalid"] * 4 + ["code_locked"]


def test_an_expired_code_is_refused(rep_user):
    sms_login.code_request(phone=PHONE, client=CLIENT)
    code = last_code(PHONE)
    LoginCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(InvalidInput) as exc:
        sms_login.code_verify(phone=PHONE, code=code, client=CLIENT)
    assert exc.value.code == "code_invalid"


def test_one_live_code_per_number(rep_user, monkeypatch):
    monkeypatch.setattr(sms_login, "REQUEST_LIMITS", ())
    sms_login.code_request(phone=PHONE, client=CLIENT)
    first = last_code(PHONE)
    sms_login.code_request(phone=PHONE, client=CLIENT)
    second = last_code(PHONE)
    assert LoginCode.objects.filter(used_at__isnull=True).count() == 1
    if first != second:
        with pytest.raises(InvalidInput):
            sms_login.code_verify(phone=PHONE, code=first, client=CLIENT)
    assert sms_login.code_verify(phone=PHONE, code=second, client=CLIENT) == rep_user


def test_requests_are_throttled_per_number_and_per_client(rep_user):
    sms_login.code_request(phone=PHONE, client=CLIENT)
    with pytest.raises(Throttled) as exc:  # a second code within the minute
        sms_login.code_request(phone=PHONE, client="10.0.0.2")
    assert 0 < exc.value.retry_after <= 60
    # An unknown number is throttled alike (the throttle tells nothing either).
    sms_login.code_request(phone=NOBODY, client=CLIENT)
    with pytest.raises(Throttled):
        sms_login.code_request(phone=NOBODY, client=CLIENT)
    # Per client address: 10 in 10 minutes, whatever the numbers.
    cache.clear()
    for n in range(10):
        sms_login.code_request(phone=f"1371234{n:04d}", client=CLIENT)
    with pytest.raises(Throttled):
        sms_login.code_request(phone="13712349999", client=CLIENT)


# --- the pages --------------------------------------------------------------------------------


def test_the_login_page_links_to_the_code_login(client, county):
    response = client.get(reverse("accounts:login"))
    assert reverse("accounts:code_login") in response.content.decode()


def test_code_login_pages_end_to_end(client, rep_user):
    response = client.post(reverse("accounts:code_login"), {"phone": PHONE})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:code_verify")
    page = client.get(reverse("accounts:code_verify"))
    assert "137****0001" in page.content.decode()
    wrong = client.post(reverse("accounts:code_verify"), {"code": "12345x"})
    assert wrong.status_code == 400
    response = client.post(reverse("accounts:code_verify"), {"code": last_code(PHONE)})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:code_password")
    assert client.session["_auth_user_id"] == str(rep_user.pk)
    # The offer to set a password; "not now" leads home.
    offer = client.get(reverse("accounts:code_password"))
    assert offer.status_code == 200 and 'href="/"' in offer.content.decode()
    done = client.post(
        reverse("accounts:code_password"),
        {"new_password1": "Qz8-longer-pass", "new_password2": "Qz8-longer-pass"},
    )
    assert done.status_code == 302 and done["Location"] == "/"
    rep_user.refresh_from_db()
    assert rep_user.check_password("Qz8-longer-pass")
    assert AuditLog.objects.filter(action="user.password_set").exists()


def test_an_unknown_number_gets_the_same_page(client, county):
    response = client.post(reverse("accounts:code_login"), {"phone": NOBODY})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:code_verify")
    assert sms_to(NOBODY) == []
    response = client.post(reverse("accounts:code_verify"), {"code": "123456"})
    assert response.status_code == 400 and "_auth_user_id" not in client.session


def test_a_user_with_a_password_goes_straight_on(client, county):
    user = make_user(PHONE, "村干部", Role.VILLAGE, county.village_a)
    client.post(reverse("accounts:code_login"), {"phone": PHONE, "next": "/households/"})
    response = client.post(reverse("accounts:code_verify"), {"code": last_code(PHONE)})
    assert response.status_code == 302 and response["Location"] == "/households/"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_page_answers_429_when_throttled(client, rep_user):
    client.post(reverse("accounts:code_login"), {"phone": PHONE})
    response = client.post(reverse("accounts:code_login"), {"phone": PHONE})
    assert response.status_code == 429
    assert len(sms_to(PHONE)) == 1


def test_the_password_offer_needs_a_code_login(client, county):
    user = make_user(PHONE, "村干部", Role.VILLAGE, county.village_a)
    client.force_login(user)
    response = client.get(reverse("accounts:code_password"))
    assert response.status_code == 302 and response["Location"] == "/"


# --- the API ----------------------------------------------------------------------------------


def test_api_code_for_a_token(client, rep_user):
    sent = post(client, "/auth/code", {"phone": PHONE})
    assert sent.status_code == 202 and sent.json() == {"sent": True, "expires_in": 600}
    unknown = post(client, "/auth/code", {"phone": NOBODY})
    assert (unknown.status_code, unknown.json()) == (202, sent.json())
    assert sms_to(NOBODY) == []

    bad = post(client, "/auth/code/token", {"phone": PHONE, "code": "99999x"})
    assert (bad.status_code, bad.json()["code"]) == (400, "code_invalid")
    response = post(
        client, "/auth/code/token", {"phone": PHONE, "code": last_code(PHONE), "name": "手机"}
    )
    assert response.status_code == 200, response.content
    key = response.json()["token"]
    assert ApiToken.objects.filter(user=rep_user, name="手机").exists()
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200 and me.json()["id"] == rep_user.pk


def test_api_throttle_answers_429_with_retry_after(client, rep_user):
    assert post(client, "/auth/code", {"phone": PHONE}).status_code == 202
    response = post(client, "/auth/code", {"phone": PHONE})
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_old_codes_are_purged(rep_user):
    sms_login.code_request(phone=PHONE, client=CLIENT)
    assert sms_login.purge_codes() == 0
    LoginCode.objects.update(expires_at=timezone.now() - dt.timedelta(days=2))
    assert sms_login.purge_codes() == 1 and not LoginCode.objects.exists()
