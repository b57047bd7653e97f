"""The migration encrypts the existing ID numbers and mobiles, fills the hashes, and
going back decrypts them."""

from __future__ import annotations

import pytest
from django.db import connection

from linli.core.crypto import blind_index
from tests.support.factories import valid_id_number
from tests.support.migrations import latest, migrate_to

BEFORE = [("org", "0004_member_phone_index")]
AFTER = [("org", "0005_encrypt_personal_data")]


def _raw(sql: str) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


@pytest.mark.django_db(transaction=True)
def test_existing_rows_are_encrypted_and_hashed_and_decrypted_going_back():
    idn = valid_id_number(5)
    old = migrate_to(BEFORE)
    try:
        Unit = old.get_model("org", "Unit")
        Household = old.get_model("org", "Household")
        Member = old.get_model("org", "Member")
        GuardTeam = old.get_model("org", "GuardTeam")
        GuardTeamMember = old.get_model("org", "GuardTeamMember")
        unit = Unit.objects.create(path="0001", depth=1, kind="city", name="浏阳市")
        home = Household.objects.create(unit=unit, head_name="王", address="一号")
        with_both = Member.objects.create(
            household=home, name="王", id_number=idn, phone="13800138001"
        )
        bare = Member.objects.create(household=home, name="王小", id_number="", phone="")
        team = GuardTeam.objects.create(unit=unit, name="护河队")
        GuardTeamMember.objects.create(team=team, kind="volunteer", name="张", phone="13800138011")

        new = migrate_to(AFTER)
        rows = dict(
            (pk, rest)
            for pk, *rest in _raw(
                "SELECT id, id_number, phone, id_number_hash, phone_hash FROM org_member"
            )
        )
        token_id, token_phone, hash_id, hash_phone = rows[with_both.pk]
        assert idn not in token_id and "13800138001" not in token_phone
        assert (hash_id, hash_phone) == (blind_index(idn), blind_index("13800138001"))
        assert rows[bare.pk] == ["", "", "", ""]
        assert "13800138011" not in str(_raw("SELECT phone FROM org_guardteammember"))
        Member = new.get_model("org", "Member")
        assert Member.objects.get(pk=with_both.pk).phone == "13800138001"

        migrate_to(BEFORE)
        assert _raw(f"SELECT id_number, phone FROM org_member WHERE id = {with_both.pk}") == [
            (idn, "13800138001")
        ]
        assert _raw("SELECT phone FROM org_guardteammember") == [("13800138011",)]
    finally:
        migrate_to(latest())
