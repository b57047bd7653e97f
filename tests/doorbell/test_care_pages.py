"""The care register's pages: the list (filters, paging, the Excel export, audited),
the forms (register, edit, end, contacts, pair, end the pairing, settings), "my
pairings"; hostile input answers 400 with the form, never 500, and writes nothing."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from linli.accounts.models import AuditAction, AuditLog
from linli.core.errors import DomainError
from linli.doorbell import services
from linli.doorbell.models import (
    CareBackup,
    CarePairing,
    CareRecipient,
    DoorbellSettings,
    EmergencyContact,
)

from .care_support import People

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
TEXT_HOSTILE = ["a\x00b", "a\x01b", "x" * 5000]
HOSTILE = [*TEXT_HOSTILE, "9" * 40, "-1", "2147483648", "1e309", "x"]


@pytest.fixture
def p(county):
    return People(county)


def _counts():
    return (
        AuditLog.objects.count(),
        CareRecipient.objects.count(),
        CarePairing.objects.count(),
        CareBackup.objects.count(),
        EmergencyContact.objects.count(),
        DoorbellSettings.objects.count(),
    )


def test_the_list_filters_pages_and_exports(p, client, county):
    r = p.paired()
    client.force_login(p.village)
    url = reverse("doorbell:care_list")
    page = client.get(url, **ZH)
    assert page.status_code == 200 and "王奶奶" in page.content.decode()
    assert client.get(url, {"kind": "disabled"}).content.decode().count("王奶奶") == 0
    assert (
        "王奶奶" in client.get(url, {"unit": county.group_a.pk, "level": "close"}).content.decode()
    )
    assert "王奶奶" not in client.get(url, {"overdue": "1"}).content.decode()
    for bad in ({"unit": "x"}, {"unit": str(2**70)}, {"kind": "vip"}, {"overdue": "2"}):
        assert client.get(url, bad).status_code == 400
    export = client.get(reverse("doorbell:care_export"), {"kind": "elderly_alone"})
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(export.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and rows[1][0] == "王奶奶" and rows[1][5] == county.rep_a.name
    assert "高血压" not in str(rows)  # health notes are never exported
    log = AuditLog.objects.get(action=AuditAction.EXPORT_DOORBELL)
    assert log.detail["rows"] == 1 and log.detail["filters"] == {"kind": "elderly_alone"}
    assert client.get(reverse("doorbell:care_export"), {"unit": "x"}).status_code == 400
    # A representative has "my pairings" instead.
    client.force_login(p.rep)
    assert client.get(url).status_code == 403
    assert client.get(reverse("doorbell:mine")).status_code == 200
    client.force_login(p.town)
    assert client.get(reverse("doorbell:mine")).status_code == 403
    assert r.pk


def test_register_through_the_form(p, client):
    client.force_login(p.village)
    url = reverse("doorbell:care_register")
    assert client.get(url).status_code == 200
    before = _counts()
    for field in ("member", "kind", "level", "health_notes"):
        for value in TEXT_HOSTILE if field == "health_notes" else HOSTILE:
            data = {"member": p.resident.pk, "kind": "elderly_alone", "level": "close"}
            data[field] = value
            answer = client.post(url, data)
            assert answer.status_code == 400, (field, value)
    assert _counts() == before
    done = client.post(
        url,
        {"member": p.resident.pk, "kind": "elderly_alone", "level": "close", "health_notes": "x"},
    )
    recipient = CareRecipient.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "doorbell:care_detail", args=[recipient.pk]
    )
    # No longer offered; a representative may not open the form.
    again = client.post(url, {"member": p.resident.pk, "kind": "other", "level": "routine"})
    assert again.status_code == 400 and CareRecipient.objects.count() == 1
    client.force_login(p.rep)
    assert client.get(url).status_code == 403


def test_edit_end_and_the_stale_version(p, client):
    r = p.register()
    client.force_login(p.village)
    url = reverse("doorbell:care_edit", args=[r.pk])
    form = client.get(url)
    assert form.status_code == 200 and "高血压" in form.content.decode()
    ok = client.post(
        url, {"version": 1, "kind": "elderly_alone", "level": "intensive", "health_notes": "高血压"}
    )
    assert ok.status_code == 302
    stale = client.post(url, {"version": 1, "kind": "other", "level": "routine"}, **ZH)
    assert stale.status_code == 400 and "已被他人修改" in stale.content.decode()
    for value in HOSTILE:
        assert (
            client.post(url, {"version": value, "kind": "other", "level": "routine"}).status_code
            == 400
        )
    r.refresh_from_db()
    assert (r.level, r.version) == ("intensive", 2)
    end = reverse("doorbell:care_end", args=[r.pk])
    assert client.post(end, {"reason": ""}).status_code == 400
    assert client.post(end, {"reason": "a\x00"}).status_code == 400
    assert client.post(end, {"reason": "迁居"}).status_code == 302
    r.refresh_from_db()
    assert not r.active
    # A leader sees the recipient, may not change it.
    client.force_login(p.neighbour)
    assert client.get(url).status_code == 403


def test_contacts_form_masks_and_validates(p, client):
    r = p.register()
    client.force_login(p.village)
    url = reverse("doorbell:care_contacts", args=[r.pk])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"name_1": "王儿子", "phone_1": "12345"}, **ZH)
    assert bad.status_code == 400 and not EmergencyContact.objects.exists()
    for value in TEXT_HOSTILE:
        assert client.post(url, {"name_1": value, "phone_1": "13912340002"}).status_code == 400
    ok = client.post(
        url,
        {"name_1": "王儿子", "relation_1": "儿子", "phone_1": "13912340002", "name_2": "王女儿",
         "phone_2": "13912340003"},
    )  # fmt: skip
    assert ok.status_code == 302
    assert list(EmergencyContact.objects.values_list("order", "name")) == [
        (1, "王儿子"),
        (2, "王女儿"),
    ]
    detail = client.get(reverse("doorbell:care_detail", args=[r.pk])).content.decode()
    assert "王儿子" in detail and "13912340002" not in detail
    assert "13912340002" not in client.get(url).content.decode()


def test_pair_form_and_ending_the_pairing(p, client, county):
    r = p.register()
    client.force_login(p.village)
    url = reverse("doorbell:care_pair", args=[r.pk])
    assert client.get(url).status_code == 200
    before = _counts()
    for data in (
        {"primary": county.rep_a.pk, "visit_every_days": 0},
        {"primary": county.rep_a.pk, "visit_every_days": 91},
        {"primary": county.rep_b.pk, "visit_every_days": 7},  # not offered: another village
        {"primary": county.rep_a.pk, "visit_every_days": 7, "kind_1": "family"},
        {"primary": county.rep_a.pk, "visit_every_days": 7, "name_1": "王"},
        {"primary": county.rep_a.pk, "visit_every_days": 7, "kind_1": "cadre", "user_1": p.town.pk},
        {"primary": county.rep_a.pk, "visit_every_days": 7, "kind_1": "family", "name_1": "王",
         "phone_1": "123"},
        *({"primary": county.rep_a.pk, "visit_every_days": v} for v in HOSTILE),
        *({"primary": v, "visit_every_days": 7} for v in HOSTILE),
    ):  # fmt: skip
        assert client.post(url, data).status_code == 400, data
    assert _counts() == before
    ok = client.post(
        url,
        {"primary": county.rep_a.pk, "visit_every_days": 14, "kind_1": "neighbour",
         "user_1": p.neighbour.pk, "kind_2": "family", "name_2": "王儿子", "phone_2": "13912340002"},
    )  # fmt: skip
    assert ok.status_code == 302
    pairing = CarePairing.objects.get()
    assert pairing.visit_every_days == 14 and pairing.backups.count() == 2
    detail = client.get(reverse("doorbell:care_detail", args=[r.pk]), **ZH).content.decode()
    assert county.rep_a.name in detail and "13912340002" not in detail
    end = reverse("doorbell:care_pair_end", args=[r.pk])
    assert client.get(end).status_code == 200
    assert client.post(end, {"reason": "a\x00"}).status_code == 400
    assert client.post(end, {"reason": ""}).status_code == 302
    pairing.refresh_from_db()
    assert pairing.ended_on is not None
    # The form pre-fills from the current pairing; with none, starts empty.
    assert client.get(url).status_code == 200


def test_settings_page(p, client, county):
    client.force_login(p.village)
    url = reverse("doorbell:settings", args=[county.village_a.pk])
    page = client.get(url, **ZH)
    assert page.status_code == 200 and "默认" in page.content.decode()
    before = _counts()
    good = {"ack_minutes": 3, "arrive_minutes": 20, "offline_minutes": 1440, "battery_low": 20}
    for field in good:
        for value in [*HOSTILE, "0", "100000"]:
            assert client.post(url, {**good, field: value}).status_code == 400, (field, value)
    assert client.post(url, {**good, "duty_cadre": p.town.pk}).status_code == 400
    assert _counts() == before
    assert client.post(url, {**good, "duty_cadre": p.village.pk}).status_code == 302
    assert DoorbellSettings.objects.get(unit=county.village_a).duty_cadre == p.village
    # Not this village's: 404; a representative: 403.
    assert client.get(reverse("doorbell:settings", args=[county.village_b.pk])).status_code == 404
    client.force_login(p.rep)
    assert client.get(url).status_code == 403


def test_the_list_links_the_settings_and_a_town_reaches_its_villages(p, client, county):
    client.force_login(p.town)
    page = client.get(reverse("doorbell:care_list")).content.decode()
    assert reverse("doorbell:settings", args=[county.town_a.pk]) in page
    town = client.get(reverse("doorbell:settings", args=[county.town_a.pk])).content.decode()
    assert reverse("doorbell:settings", args=[county.village_a.pk]) in town
    assert reverse("doorbell:settings", args=[county.village_b.pk]) not in town


def test_a_representative_goes_back_to_their_own_list(p, client):
    r = p.paired()
    detail = reverse("doorbell:care_detail", args=[r.pk])
    client.force_login(p.rep)
    page = client.get(detail, **ZH).content.decode()
    assert f'href="{reverse("doorbell:mine")}"' in page
    assert f'href="{reverse("doorbell:care_list")}"' not in page
    assert client.get(reverse("doorbell:mine")).status_code == 200
    client.force_login(p.village)
    page = client.get(detail, **ZH).content.decode()
    assert f'href="{reverse("doorbell:care_list")}"' in page


def test_one_word_for_each_term(p, client):
    """备用联系人 everywhere, 姓名 for a person, 户主 for the head, 状态 and 健康 apart."""
    r = p.paired()
    client.force_login(p.village)
    detail = client.get(reverse("doorbell:care_detail", args=[r.pk]), **ZH).content.decode()
    assert "户主" in detail and "备选" not in detail
    pair = client.get(reverse("doorbell:care_pair", args=[r.pk]), **ZH).content.decode()
    assert "姓名" in pair and "名称" not in pair and "备选" not in pair
    refused = client.post(
        reverse("doorbell:care_pair", args=[r.pk]),
        {"primary": p.county.rep_a.pk, "visit_every_days": 7, "kind_1": "family",
         "phone_1": "13912340002"},
        **ZH,
    )  # fmt: skip
    assert refused.status_code == 400 and "名称" not in refused.content.decode()
    with translation.override("zh-hans"), pytest.raises(DomainError) as error:
        services.pair(
            actor=p.village, recipient=r, primary=p.county.rep_a, visit_every_days=7,
            backups=[services.BackupSpec(kind="family", name=" ", phone="13912340002")],
        )  # fmt: skip
    assert "姓名" in str(error.value.message)
    devices = client.get(reverse("doorbell:devices"), **ZH).content.decode()
    assert ">健康<" in devices and ">状态<" in devices


def test_editing_a_contact_name_keeps_its_stored_mobile(p, client):
    r = p.register()
    services.contacts_set(
        actor=p.village,
        recipient=r,
        contacts=[
            services.ContactSpec("王儿子", "儿子", "13912340002"),
            services.ContactSpec("王女儿", "女儿", "13912340003"),
        ],
    )
    client.force_login(p.village)
    url = reverse("doorbell:care_contacts", args=[r.pk])
    form = client.get(url, **ZH).content.decode()
    assert "留空则保留" in form
    ok = client.post(url, {"name_1": "王大儿子", "relation_1": "儿子", "name_2": "王女儿"}, **ZH)
    assert ok.status_code == 302, ok.content.decode()
    assert list(EmergencyContact.objects.values_list("order", "name", "phone")) == [
        (1, "王大儿子", "13912340002"),
        (2, "王女儿", "13912340003"),
    ]
    # A new contact needs a mobile; a wrong one says which contact and why.
    new = client.post(url, {"name_1": "王大儿子", "name_2": "王女儿", "name_3": "李邻居"}, **ZH)
    assert (
        new.status_code == 400 and "应急联系人3（李邻居）：请填写手机号码" in new.content.decode()
    )
    bad = client.post(url, {"name_1": "王大儿子", "phone_1": "12345"}, **ZH).content.decode()
    assert "应急联系人1（王大儿子）" in bad and "11 位数字" in bad


def test_a_refused_page_logs_one_line_without_traceback(p, client, caplog):
    client.force_login(p.rep)
    with caplog.at_level("WARNING", logger="django.request"):
        assert client.get(reverse("doorbell:care_list")).status_code == 403
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.status_code == 403 and record.exc_info is None
    assert "Traceback" not in caplog.text
