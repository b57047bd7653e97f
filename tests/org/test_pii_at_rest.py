"""ID numbers and mobiles: encrypted at rest, found through keyed hashes, masked in the
admin, and every clear view audited (`core.crypto`, issue 11)."""

from __future__ import annotations

import base64
import os

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.urls import reverse

from linli.accounts.models import AuditLog
from linli.appeals.models import Appeal, DisputeParty, PhoneCode
from linli.appeals.selectors import appeal_for_resident, resident_home_unit
from linli.appeals.services import phone_code_request
from linli.core.crypto import blind_index, decrypt, dev_data_key, key_id
from linli.core.errors import Conflict
from linli.org import selectors, services
from linli.org.models import GuardTeamMember, Member
from tests.support import factories
from tests.support.factories import RESIDENT_PHONE, valid_id_number


def _raw(table: str, *columns: str) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {', '.join(columns)} FROM {table}")  # noqa: S608 (test constants)
        return list(cur.fetchall())


def _raw_text(table: str, *columns: str) -> str:
    return " ".join(str(v) for row in _raw(table, *columns) for v in row)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_the_database_holds_no_clear_id_number_or_mobile(county, superuser):
    appeal = factories.appeal(county.households_a[0])
    DisputeParty.objects.create(appeal=appeal, name="甲", phone="13811112222")
    phone_code_request(phone="13822223333")
    members = _raw_text("org_member", "id_number", "phone", "id_number_hash", "phone_hash")
    for clear in (valid_id_number(1), "13800138001", "13800138002", valid_id_number(2)):
        assert clear not in members
    assert "13800138011" not in _raw_text("org_guardteammember", "phone")
    assert RESIDENT_PHONE not in _raw_text(
        "appeals_appeal", "reporter_phone", "reporter_phone_hash"
    )
    assert "13811112222" not in _raw_text("appeals_disputeparty", "phone")
    assert "13822223333" not in _raw_text("appeals_phonecode", "phone_hash", "code_hash")
    # ...while the application reads them back in clear.
    assert Member.objects.get(pk=county.member_a.pk).phone == "13800138001"
    assert Member.objects.get(pk=county.member_a.pk).id_number == valid_id_number(1)
    assert Appeal.objects.get(pk=appeal.pk).reporter_phone == RESIDENT_PHONE


def test_two_encryptions_of_one_value_differ_but_hash_alike(county, superuser):
    other = services.member_create(
        actor=superuser, household=county.households_a[2], name="同号", phone="138 0013 8001"
    )
    rows = dict(
        ((pk, (token, h)) for pk, token, h in _raw("org_member", "id", "phone", "phone_hash"))
    )
    token_a, hash_a = rows[county.member_a.pk]
    token_b, hash_b = rows[other.pk]
    assert token_a != token_b  # random IV: equal numbers are not visible as equal tokens
    assert hash_a == hash_b == blind_index("13800138001")


def test_lookup_by_phone_goes_through_the_hash(county):
    assert list(selectors.members_with_phone("13800138001")) == [county.member_a]
    assert list(selectors.representatives_with_phone("13800138002")) == [county.rep_b]
    assert not selectors.members_with_phone("0013800")  # no partial match
    assert not selectors.members_with_phone("")
    # A resident reporting from their registered mobile is routed to their household.
    assert resident_home_unit("13800138001") == county.member_a.household.unit


def test_an_appeal_is_found_by_code_and_reporter_mobile(county):
    appeal = factories.appeal(county.households_a[0])
    assert appeal_for_resident(appeal.code, RESIDENT_PHONE) == appeal
    with pytest.raises(Exception):  # noqa: B017 (NotFound)
        appeal_for_resident(appeal.code, "13900000000")


def test_a_value_lookup_on_an_encrypted_column_is_refused(county):
    from linli.core.crypto import EncryptedLookupError

    with pytest.raises(EncryptedLookupError):
        list(Member.objects.filter(phone="13800138001"))
    with pytest.raises(Exception):  # noqa: B017 (unsupported lookup)
        list(Member.objects.filter(phone__contains="0013"))
    assert Member.objects.filter(phone="").count() >= 0  # "is it empty?" still works


def test_id_numbers_stay_unique_through_the_hash(county, superuser):
    with pytest.raises(Conflict):
        services.member_create(
            actor=superuser,
            household=county.households_a[1],
            name="重复",
            id_number=valid_id_number(1).lower(),
        )
    # The database refuses it too, whatever writes it.
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(
            household=county.households_a[1], name="重复", id_number=valid_id_number(1)
        )


def test_phone_codes_keep_only_the_hash(county):
    row = phone_code_request(phone="13822223333")
    assert row.phone_hash == blind_index("13822223333")
    assert not hasattr(PhoneCode, "phone")


def test_the_admin_shows_members_masked_and_searches_whole_numbers(county, admin_client):
    listing = admin_client.get(reverse("admin:org_member_changelist")).content.decode()
    assert "138****8001" in listing
    assert "13800138001" not in listing and valid_id_number(1) not in listing
    detail = admin_client.get(
        reverse("admin:org_member_change", args=[county.member_a.pk])
    ).content.decode()
    assert "138****8001" in detail
    assert "13800138001" not in detail and valid_id_number(1) not in detail
    found = admin_client.get(
        reverse("admin:org_member_changelist"), {"q": "138 0013 8001"}
    ).content.decode()
    assert county.member_a.name in found and county.member_b.name not in found
    by_id = admin_client.get(
        reverse("admin:org_member_changelist"), {"q": valid_id_number(2)}
    ).content.decode()
    assert county.member_b.name in by_id and county.member_a.name not in by_id


def test_the_admin_shows_team_and_reporter_mobiles_masked(county, admin_client):
    team = admin_client.get(
        reverse("admin:org_guardteam_change", args=[county.team_a.pk])
    ).content.decode()
    assert "138****8011" in team and "13800138011" not in team
    appeal = factories.appeal(county.households_a[0])
    page = admin_client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk]))
    assert "139****5678" in page.content.decode()
    assert RESIDENT_PHONE not in page.content.decode()
    assert not AuditLog.objects.filter(action="member.reveal").exists()


def test_an_unmasked_view_writes_an_audit_row(county, superuser):
    values = services.member_reveal(actor=superuser, member=county.member_a)
    assert values == {"id_number": valid_id_number(1), "phone": "13800138001"}
    entry = AuditLog.objects.get(action="member.reveal")
    assert entry.target_id == str(county.member_a.pk)
    assert entry.detail == {"fields": ["id_number", "phone"]}


def test_keys_rotate_and_every_row_still_reads(county, superuser):
    appeal = factories.appeal(county.households_a[0])
    old = dev_data_key().decode()
    new = base64.urlsafe_b64encode(os.urandom(32)).decode()
    before = _raw("org_member", "id", "phone")
    with override_settings(LINLI_DATA_KEYS=f"{new},{old}", LINLI_HASH_KEY="rotated-hash-key"):
        # New key first, old after it: old rows still read, new rows use the new key.
        assert Member.objects.get(pk=county.member_a.pk).phone == "13800138001"
        call_command("rotate_data_keys", batch_size=2, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _raw("org_member", "id", "phone") != before
    with override_settings(LINLI_DATA_KEYS=new, LINLI_HASH_KEY="rotated-hash-key"):
        # The old key is gone: everything reads, and the hashes follow the new hash key.
        assert Member.objects.get(pk=county.member_a.pk).id_number == valid_id_number(1)
        assert GuardTeamMember.objects.get(name="张志愿").phone == "13800138011"
        assert Appeal.objects.get(pk=appeal.pk).reporter_phone == RESIDENT_PHONE
        assert list(selectors.members_with_phone("13800138001")) == [county.member_a]
        token = dict(_raw("org_member", "id", "phone"))[county.member_a.pk]
        assert token.startswith(f"v1.{key_id(new)}.") and decrypt(token) == "13800138001"
