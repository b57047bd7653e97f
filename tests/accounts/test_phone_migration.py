"""The migrations encrypt existing accounts' mobiles (normalised, hashed, unique) and
outbox addresses; login codes keep only the hash; going back decrypts."""

from __future__ import annotations

import pytest
from django.db import connection

from linli.core.crypto import blind_index
from tests.support.migrations import latest, migrate_to

ACCOUNTS_BEFORE = [("accounts", "0006_apitoken_scopes_expiry_revocation")]
ACCOUNTS_AFTER = [("accounts", "0007_encrypt_phones")]
NOTIFY_BEFORE = [("notify", "0001_initial")]
NOTIFY_AFTER = [("notify", "0002_encrypt_outbox_address")]


def _raw(sql: str) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


@pytest.mark.django_db(transaction=True)
def test_existing_accounts_are_encrypted_hashed_and_decrypted_going_back():
    from django.utils import timezone

    old = migrate_to(ACCOUNTS_BEFORE)
    try:
        User = old.get_model("accounts", "User")
        LoginCode = old.get_model("accounts", "LoginCode")
        plain = User.objects.create(phone="13755550021", name="老干部")
        typed = User.objects.create(phone="+86 137 5555 0022", name="手输")
        odd = User.objects.create(phone="admin", name="老超管")
        LoginCode.objects.create(phone="13755550021", code_hash="c" * 64, expires_at=timezone.now())

        new = migrate_to(ACCOUNTS_AFTER)
        rows = {pk: (p, h) for pk, p, h in _raw("SELECT id, phone, phone_hash FROM accounts_user")}
        assert "13755550021" not in rows[plain.pk][0] and rows[plain.pk][0].startswith("v1.")
        assert rows[plain.pk][1] == blind_index("13755550021")
        assert rows[typed.pk][1] == blind_index("13755550022")  # normalised first
        assert rows[odd.pk][1] == blind_index("admin")
        User = new.get_model("accounts", "User")
        assert User.objects.get(pk=typed.pk).phone == "13755550022"
        assert _raw("SELECT phone_hash FROM accounts_logincode") == [(blind_index("13755550021"),)]
        assert "13755550021" not in str(_raw("SELECT * FROM accounts_logincode"))

        migrate_to(ACCOUNTS_BEFORE)
        assert sorted(_raw("SELECT phone FROM accounts_user")) == [
            ("13755550021",),
            ("13755550022",),
            ("admin",),
        ]
        assert _raw("SELECT phone FROM accounts_logincode") == [("",)]  # one-way for codes
    finally:
        migrate_to(latest())


@pytest.mark.django_db(transaction=True)
def test_existing_outbox_addresses_are_encrypted_and_decrypted_going_back():
    old = migrate_to(NOTIFY_BEFORE)
    try:
        Outbox = old.get_model("notify", "Outbox")
        sms = Outbox.objects.create(channel="sms", kind="k", address="13755550031")
        inapp = Outbox.objects.create(channel="inapp", kind="k", address="")

        new = migrate_to(NOTIFY_AFTER)
        rows = {
            pk: (a, h) for pk, a, h in _raw("SELECT id, address, address_hash FROM notify_outbox")
        }
        assert "13755550031" not in rows[sms.pk][0]
        assert rows[sms.pk][1] == blind_index("13755550031")
        assert rows[inapp.pk] == ("", "")
        assert new.get_model("notify", "Outbox").objects.get(pk=sms.pk).address == "13755550031"

        migrate_to(NOTIFY_BEFORE)
        assert _raw(f"SELECT address FROM notify_outbox WHERE id = {sms.pk}") == [("13755550031",)]
    finally:
        migrate_to(latest())
