"""Accounts' mobiles (the login) are stored encrypted and found through their keyed
hash: every way in still works, the admin finds and shows them masked, a clear view is
audited, the lockout counts per account, and login codes keep only the hash."""

from __future__ import annotations

import base64
import os
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client, override_settings
from django.urls import reverse

from linli.accounts import services, sms_login
from linli.accounts.models import AuditLog, LoginCode, Role, User, phone_index
from linli.accounts.selectors import user_by_phone, users_by_phones
from linli.core import crypto
from linli.core.crypto import blind_index
from linli.notify.models import Outbox
from tests.support.api import post
from tests.support.clock import LimiterClock
from tests.support.roles import PASSWORD, make_user

pytestmark = pytest.mark.django_db

PHONE = "13812340001"


def _raw(sql: str, *params) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


@pytest.fixture
def cadre(county):
    return make_user(PHONE, "王干部", Role.VILLAGE, county.village_a)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


# --- at rest ------------------------------------------------------------------------------


def test_the_column_holds_no_clear_mobile_and_the_hash_finds_it(cadre):
    [(stored, hashed)] = _raw("SELECT phone, phone_hash FROM accounts_user WHERE id = %s", cadre.pk)
    assert PHONE not in stored and stored.startswith("v1.")
    assert hashed == blind_index(PHONE) == phone_index("+86 138 1234 0001")
    assert User.objects.get(pk=cadre.pk).phone == PHONE
    assert user_by_phone("138-1234-0001") == cadre
    assert users_by_phones([PHONE, "13812340999"]) == {PHONE: cadre}
    assert str(cadre) == "王干部 (138****0001)"


def test_a_mobile_belongs_to_one_account_only(cadre):
    with pytest.raises(IntegrityError), transaction.atomic():
        User(phone=PHONE, name="重号").save()  # past the manager: the database refuses
    with pytest.raises(ValidationError):
        User.objects.create_user(phone="+86 13812340001", password="x", name="重号")


def test_createsuperuser_finds_a_taken_number_through_the_hash(cadre, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "pw-super-9876")
    call_command("createsuperuser", interactive=False, phone="13812340002", name="超管")
    su = user_by_phone("13812340002")
    assert su.is_superuser and su.check_password("pw-super-9876")
    with pytest.raises(CommandError, match="已注册"):
        call_command("createsuperuser", interactive=False, phone=PHONE, name="重号")


# --- logging in ---------------------------------------------------------------------------


def test_password_login_on_the_page_and_through_the_client(cadre):
    assert Client().login(phone="138 1234 0001", password=PASSWORD)
    page = Client().post(reverse("accounts:login"), {"username": PHONE, "password": PASSWORD})
    assert page.status_code == 302
    wrong = Client().post(reverse("accounts:login"), {"username": PHONE, "password": "nope"})
    assert wrong.status_code == 200


def test_api_token_by_password(client, cadre):
    response = post(client, "/auth/token", {"phone": PHONE, "password": PASSWORD})
    assert response.status_code == 200, response.content
    key = response.json()["token"]
    me = client.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert me.status_code == 200 and me.json()["phone"] == PHONE


def test_sms_code_login_and_its_code_row_keeps_only_the_hash(client, cadre):
    assert post(client, "/auth/code", {"phone": PHONE}).status_code == 202
    sms = Outbox.objects.get(address_hash=blind_index(PHONE), kind=sms_login.SMS_KIND)
    code = re.search(r"\d{6}", sms.body).group(0)
    columns = {
        c.name
        for c in connection.introspection.get_table_description(
            connection.cursor(), LoginCode._meta.db_table
        )
    }
    assert "phone" not in columns
    assert PHONE not in str(_raw("SELECT * FROM accounts_logincode"))
    row = LoginCode.objects.get()
    assert row.phone_hash == blind_index(PHONE) and PHONE not in str(row)
    answer = post(client, "/auth/code/token", {"phone": PHONE, "code": code, "name": "手机"})
    assert answer.status_code == 200, answer.content
    assert AuditLog.objects.filter(action="login.code", target_id=str(cadre.pk)).exists()


def test_the_lockout_counts_per_account_however_the_number_is_typed(client, cadre, monkeypatch):
    LimiterClock(monkeypatch)
    spellings = [PHONE, "138 1234 0001", "+8613812340001", "138-1234-0001", PHONE]
    answers = [
        post(
            client, "/auth/token", {"phone": p, "password": f"wrong-{i}"}, REMOTE_ADDR=f"10.0.0.{i}"
        )
        for i, p in enumerate(spellings)
    ]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    right = post(
        client, "/auth/token", {"phone": PHONE, "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert right.status_code == 429
    entry = AuditLog.objects.get(action="login.lockout")
    assert entry.target_id == "138****0001"


# --- the admin ----------------------------------------------------------------------------


def test_the_admin_finds_an_account_by_its_whole_mobile_only(admin_client, cadre, county):
    make_user("13812340003", "李干部", Role.VILLAGE, county.village_a)
    users = reverse("admin:accounts_user_changelist")
    found = admin_client.get(users, {"q": "138 1234 0001"}).content.decode()
    assert "王干部" in found and "李干部" not in found and PHONE not in found
    assert "138****0001" in found
    assert "王干部" not in admin_client.get(users, {"q": "1234"}).content.decode()
    roles = admin_client.get(reverse("admin:accounts_roleassignment_changelist"), {"q": PHONE})
    assert "王干部" in roles.content.decode() and "李干部" not in roles.content.decode()


def test_the_change_page_shows_the_mobile_masked_and_reveals_it_audited(admin_client, cadre):
    page = admin_client.get(reverse("admin:accounts_user_change", args=[cadre.pk]))
    body = page.content.decode()
    assert "138****0001" in body and PHONE not in body
    reveal = reverse("admin:accounts_user_phone_reveal", args=[cadre.pk])
    assert f'formaction="{reveal}"' in body
    assert admin_client.get(reveal).status_code == 405
    assert not AuditLog.objects.filter(action="user.phone_reveal").exists()

    shown = admin_client.post(reveal)

    assert shown.status_code == 200 and PHONE in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    entry = AuditLog.objects.get(action="user.phone_reveal")
    assert entry.target_id == str(cadre.pk) and entry.actor.is_superuser
    assert entry.detail == {"fields": ["phone"]}


def test_staff_who_may_not_manage_the_account_cannot_reveal(client, cadre, county):
    from django.contrib.auth.models import Permission

    staff = make_user("13812340004", "镇管理员", Role.ADMIN, county.town_b)
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_user", "view_user"])
    )
    client.force_login(staff)
    response = client.post(reverse("admin:accounts_user_phone_reveal", args=[cadre.pk]))
    assert response.status_code == 403
    assert not AuditLog.objects.filter(action="user.phone_reveal").exists()


def test_a_new_mobile_typed_in_the_admin_moves_the_login(admin_client, cadre):
    data = {
        "new_phone": "138 1234 0005",
        "name": cadre.name,
        "is_active": "on",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "08:00:00",
        "role_assignments-TOTAL_FORMS": "0",
        "role_assignments-INITIAL_FORMS": "0",
    }
    response = admin_client.post(reverse("admin:accounts_user_change", args=[cadre.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert user_by_phone("13812340005") == cadre and user_by_phone(PHONE) is None
    assert Client().login(phone="13812340005", password=PASSWORD)
    entry = AuditLog.objects.get(action="user.update", target_id=str(cadre.pk))
    assert entry.detail["before"] == {"phone": "138****0001"}
    assert entry.detail["after"] == {"phone": "138****0005"}
    assert "13812340005" not in str(_raw("SELECT detail FROM accounts_auditlog"))


def test_the_service_refuses_a_number_another_account_has(cadre, superuser, county):
    other = make_user("13812340006", "别人", Role.VILLAGE, county.village_a)
    from linli.core.errors import Conflict

    with pytest.raises(Conflict):
        services.account_update(actor=superuser, user=other, phone="138 1234 0001")
    assert user_by_phone("13812340006") == other


# --- rotation -----------------------------------------------------------------------------


def _key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_rotation_re_encrypts_the_logins_and_outbox_addresses(cadre):
    from linli.notify.services import notify_phone

    with transaction.atomic():
        notify_phone(phone=PHONE, kind="k", body="x")
    old = crypto.dev_data_key().decode()
    new = _key()
    with override_settings(
        LINLI_DATA_KEYS=f"{new},{old}", LINLI_HASH_KEY="a-new-hash-key-for-tests"
    ):
        call_command("rotate_data_keys", stdout=open(os.devnull, "w"))
        [(stored, hashed)] = _raw(
            "SELECT phone, phone_hash FROM accounts_user WHERE id = %s", cadre.pk
        )
        assert stored.split(".")[1] == crypto.key_id(new)
        assert hashed == blind_index(PHONE)  # under the new hash key
        [(address,)] = _raw("SELECT address FROM notify_outbox")
        assert address.split(".")[1] == crypto.key_id(new)
        assert Outbox.objects.get(address_hash=blind_index(PHONE)).address == PHONE
        assert Client().login(phone=PHONE, password=PASSWORD)
    with override_settings(LINLI_DATA_KEYS=new, LINLI_HASH_KEY="a-new-hash-key-for-tests"):
        assert user_by_phone(PHONE) == cadre
