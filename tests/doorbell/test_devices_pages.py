"""The doorbell registry pages (phone-first, Chinese): register with the secret shown once,
the list with filters and export, the detail, bind, retire, new secret, the maintenance
tasks and the refused messages; scope and audit."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.accounts.models import AuditLog, Role
from linli.doorbell import protocol, services
from linli.doorbell.models import Device, DeviceRejection, DeviceStatus, MaintenanceTask, TaskKind
from tests.doorbell.devices_support import device, message
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def cadre(county):
    return make_user("13600009001", "李畋村干部", Role.VILLAGE, county.village_a)


@pytest.fixture
def leader(county):
    return make_user("13600009002", "一组组长", Role.GROUP_LEADER, county.group_a)


@pytest.fixture
def outsider(county):
    return make_user("13600009003", "佳成村干部", Role.VILLAGE, county.village_b)


def test_register_shows_the_secret_once_and_it_signs_messages(client, cadre, county):
    client.force_login(cadre)
    page = client.get(reverse("doorbell:device_new"), **ZH)
    assert page.status_code == 200 and "登记门铃" in page.content.decode()
    response = client.post(
        reverse("doorbell:device_new"),
        {"device_id": "DB-NEW-7", "unit": county.village_a.pk, "model_name": "LD-1"},
    )
    device_ = Device.objects.get(device_id="DB-NEW-7")
    assert response.status_code == 302
    assert response["Location"] == reverse("doorbell:device_secret", args=[device_.pk])
    shown = client.get(response["Location"], **ZH)
    assert device_.secret in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    assert len(device_.secret) == 32 and int(device_.secret, 16) >= 0
    again = client.get(response["Location"], **ZH).content.decode()
    assert device_.secret not in again and "密钥已显示过" in again
    audit = AuditLog.objects.get(action="doorbell.device.register")
    assert device_.secret not in str(audit.detail)
    topic, payload = message("DB-NEW-7", seq=1, kind="heartbeat", secret=device_.secret)
    assert services.message_receive(payload=payload, topic=topic, channel="mqtt").accepted


@pytest.mark.parametrize(
    "data",
    [
        {"device_id": "bad id!", "unit": "1"},
        {"device_id": "DB\x00X", "unit": "1"},
        {"device_id": "A" * 41, "unit": "1"},
        {"device_id": "DB-1", "unit": "99999999999999999999999"},
        {"device_id": "DB-1", "unit": "-1"},
    ],
    ids=range(5),
)
def test_bad_input_gives_the_form_with_400(client, cadre, data):
    client.force_login(cadre)
    response = client.post(reverse("doorbell:device_new"), data, **ZH)
    assert response.status_code == 400
    assert not Device.objects.exists()


def test_a_device_id_taken_is_refused_in_chinese(client, cadre, county):
    device(county.village_a, device_id="DB-DUP")
    client.force_login(cadre)
    response = client.post(
        reverse("doorbell:device_new"), {"device_id": "DB-DUP", "unit": county.village_a.pk}, **ZH
    )
    assert response.status_code == 400
    assert "该设备编号的门铃已登记" in response.content.decode()


def test_a_leader_sees_but_may_not_register_or_change(client, leader, county):
    d = device(county.village_a, device_id="DB-SEEN", household=county.households_a[1])
    device(county.village_a, device_id="DB-VILLAGE")  # unbound: the village's, not the group's
    client.force_login(leader)
    listing = client.get(reverse("doorbell:devices"), **ZH).content.decode()
    assert "DB-SEEN" in listing and reverse("doorbell:device_new") not in listing
    assert "DB-VILLAGE" not in listing
    detail = client.get(reverse("doorbell:device_detail", args=[d.pk]), **ZH).content.decode()
    assert "DB-SEEN" in detail and "停用此门铃" not in detail
    response = client.post(reverse("doorbell:device_retire", args=[d.pk]), {"reason": "x"})
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.status == DeviceStatus.ACTIVE


def test_strangers_get_404_and_no_row_in_lists(client, outsider, county):
    d = device(county.village_a, device_id="DB-MINE")
    client.force_login(outsider)
    assert "DB-MINE" not in client.get(reverse("doorbell:devices")).content.decode()
    assert client.get(reverse("doorbell:device_detail", args=[d.pk])).status_code == 404
    response = client.post(reverse("doorbell:device_new_secret", args=[d.pk]))
    assert response.status_code == 404


def test_bind_unbind_retire_and_new_secret_are_audited(client, cadre, county):
    d = device(county.village_a, device_id="DB-B1")
    client.force_login(cadre)
    household = county.households_a[3]
    client.post(reverse("doorbell:device_bind", args=[d.pk]), {"household": household.pk})
    d.refresh_from_db()
    assert d.household == household and d.unit == household.unit
    client.post(reverse("doorbell:device_bind", args=[d.pk]), {"unbind": "1"})
    d.refresh_from_db()
    assert d.household is None and d.unit == county.village_a
    old = d.secret
    response = client.post(reverse("doorbell:device_new_secret", args=[d.pk]))
    d.refresh_from_db()
    assert d.secret != old
    assert d.secret in client.get(response["Location"]).content.decode()
    client.post(reverse("doorbell:device_retire", args=[d.pk]), {"reason": "坏了"})
    d.refresh_from_db()
    assert d.status == DeviceStatus.RETIRED
    actions = list(
        AuditLog.objects.filter(action__startswith="doorbell.device")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "doorbell.device.bind",
        "doorbell.device.bind",
        "doorbell.device.new_secret",
        "doorbell.device.retire",
    ]


def test_binding_to_a_household_of_another_village_is_refused(client, cadre, county):
    d = device(county.village_a, device_id="DB-B2")
    client.force_login(cadre)
    client.post(
        reverse("doorbell:device_bind", args=[d.pk]), {"household": county.households_b[0].pk}
    )
    d.refresh_from_db()
    assert d.household is None


def test_the_bind_form_finds_a_household_by_address_or_head(client, cadre, county, monkeypatch):
    """A village has hundreds of households: the list shows the first BIND_CHOICES and a
    search narrows it; a hostile search is ignored, never a 500."""
    from linli.doorbell import views
    from linli.org.models import Household

    d = device(county.village_a, device_id="DB-S1")
    village_homes = Household.objects.filter(unit__path__startswith=county.village_a.path)
    target = village_homes.order_by("id").last()
    target.address = "李畋村柳树湾17号"
    target.save(update_fields=["address"])
    client.force_login(cadre)
    url = reverse("doorbell:device_detail", args=[d.pk])

    found = client.get(url, {"hq": "柳树湾"}, **ZH)
    options = found.context["bind_form"].fields["household"].queryset
    assert list(options) == [target]
    assert "柳树湾17号" in found.content.decode()

    monkeypatch.setattr(views, "BIND_CHOICES", 1)
    page = client.get(url, **ZH)
    assert page.context["bind_form"].fields["household"].queryset.count() == 1
    assert "仅列出前 1 户" in page.content.decode()

    none = client.get(url, {"hq": "没有这个地址"}, **ZH)
    assert "没有符合条件的住户" in none.content.decode()
    for hostile in ("\x00\x1b[2J", "%" * 500, "' OR 1=1 --"):
        assert client.get(url, {"hq": hostile}, **ZH).status_code in (200, 400)
    # The bind itself still takes any household of the village, listed or not.
    client.post(reverse("doorbell:device_bind", args=[d.pk]), {"household": target.pk})
    d.refresh_from_db()
    assert d.household == target


def test_the_list_filters_and_exports(client, cadre, county):
    low = device(county.village_a, device_id="DB-LOW", battery=5)
    MaintenanceTask.objects.create(device=low, unit=low.unit, kind=TaskKind.LOW_BATTERY)
    device(county.village_a, device_id="DB-OK")
    client.force_login(cadre)
    page = client.get(reverse("doorbell:devices"), {"health": "low_battery"}, **ZH).content.decode()
    assert "DB-LOW" in page and "DB-OK" not in page and "电量低" in page
    hostile = client.get(reverse("doorbell:devices"), {"unit": "9" * 30, "health": "\x00"})
    assert hostile.status_code == 400
    export = client.get(reverse("doorbell:devices_export"), {"q": "DB-"})
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(export.streaming_content)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "设备编号"
    assert {r[0] for r in rows[1:]} == {"DB-LOW", "DB-OK"}
    assert [r[8] for r in rows[1:] if r[0] == "DB-LOW"] == ["电量低"]
    assert AuditLog.objects.filter(action="export.doorbell").count() == 1


def test_the_task_list_and_resolving_a_task(client, cadre, county):
    d = device(county.village_a, device_id="DB-T1", household=county.households_a[2])
    task = MaintenanceTask.objects.create(device=d, unit=d.unit, kind=TaskKind.OFFLINE)
    client.force_login(cadre)
    page = client.get(reverse("doorbell:tasks"), **ZH).content.decode()
    assert "DB-T1" in page and "门铃离线" in page
    client.post(reverse("doorbell:task_resolve", args=[task.pk]), {"note": "换了电池"})
    task.refresh_from_db()
    assert task.resolved_by == cadre and task.note == "换了电池" and task.resolved_at
    assert AuditLog.objects.filter(action="doorbell.task.resolve").count() == 1
    assert "DB-T1" not in client.get(reverse("doorbell:tasks")).content.decode()
    assert "DB-T1" in client.get(reverse("doorbell:tasks"), {"state": "resolved"}).content.decode()


def test_the_rejection_log_shows_the_villages_refusals_only(client, cadre, county):
    d = device(county.village_a, device_id="DB-R1")
    services.message_receive(
        payload=message("DB-R1", seq=1, secret="e" * 32)[1], topic=None, channel="http"
    )
    services.message_receive(payload=message("DB-GHOST", seq=1)[1], topic=None, channel="http")
    assert DeviceRejection.objects.count() == 2
    client.force_login(cadre)
    page = client.get(reverse("doorbell:rejections"), **ZH).content.decode()
    assert "DB-R1" in page and "签名错误" in page
    assert "DB-GHOST" not in page  # an unknown device belongs to no village
    detail = client.get(reverse("doorbell:device_detail", args=[d.pk]), **ZH).content.decode()
    assert "签名错误" in detail


def test_the_detail_page_shows_health_and_messages(client, cadre, county):
    d = device(county.village_a, device_id="DB-H1", household=county.households_a[0])
    _topic, payload = protocol.build(
        device_id="DB-H1", secret=d.secret, seq=9, kind="heartbeat", battery=64
    )
    services.message_receive(payload=payload, topic=None, channel="http")
    client.force_login(cadre)
    page = client.get(reverse("doorbell:device_detail", args=[d.pk]), **ZH).content.decode()
    assert "在线" in page and "64%" in page and "心跳" in page and "李0" in page


def test_task_texts_written_by_the_doorbell_and_the_tick_read_in_chinese(client, cadre, county):
    d = device(county.village_a, created_at=timezone.now() - dt.timedelta(days=1))
    services.health_tick()  # never heard from: offline task
    services.message_receive(
        payload=message(seq=1, kind="heartbeat", battery=12)[1], topic=None, channel="http"
    )  # heard from again (closes offline), battery low (opens a task)
    assert set(MaintenanceTask.objects.values_list("detail", flat=True)) == {
        "never heard from",
        "battery 12%",
    }
    client.force_login(cadre)
    for url in (
        reverse("doorbell:tasks") + "?state=all",
        reverse("doorbell:device_detail", args=[d.pk]),
    ):
        page = client.get(url, **ZH).content.decode()
        assert "电量 12%" in page and "从未收到过消息" in page and "已重新收到消息" in page, url
        assert "never heard" not in page and "battery 12" not in page


def test_a_bad_resolve_note_or_retire_reason_comes_back_with_the_field_error(client, cadre, county):
    d = device(county.village_a)
    task = MaintenanceTask.objects.create(
        device=d, unit=d.unit, kind=TaskKind.LOW_BATTERY, detail="battery 9%"
    )
    client.force_login(cadre)
    url = reverse("doorbell:task_resolve", args=[task.pk])
    for note in ("x" * 10000, "坏\x01了"):
        answer = client.post(url, {"note": note, "next": "device"}, **ZH)
        page = answer.content.decode()
        assert answer.status_code == 400 and 'class="errorlist' in page, note
        assert reverse("doorbell:task_resolve", args=[task.pk]) in page
    task.refresh_from_db()
    assert task.resolved_at is None
    retire = client.post(reverse("doorbell:device_retire", args=[d.pk]), {"reason": "a\x01b"}, **ZH)
    assert retire.status_code == 400 and 'class="errorlist' in retire.content.decode()
    d.refresh_from_db()
    assert d.status == DeviceStatus.ACTIVE


def test_one_doorbell_per_household_and_a_move_needs_confirming(client, cadre, county):
    first, second = county.households_a[0], county.households_a[1]
    a = device(county.village_a, device_id="DB-M1", household=first)
    b = device(county.village_a, device_id="DB-M2")
    client.force_login(cadre)
    page = client.get(reverse("doorbell:device_detail", args=[a.pk]), **ZH).content.decode()
    assert f'<option value="{first.pk}" selected>' in page and first.address in page
    # A second doorbell for the first household: refused, saying which it has.
    refused = client.post(
        reverse("doorbell:device_bind", args=[b.pk]), {"household": first.pk}, **ZH, follow=True
    )
    assert "DB-M1" in refused.content.decode()
    b.refresh_from_db()
    assert b.household is None
    # Moving the first without confirming: refused; confirmed: moved, audited from/to.
    url = reverse("doorbell:device_bind", args=[a.pk])
    client.post(url, {"household": second.pk})
    a.refresh_from_db()
    assert a.household == first
    client.post(url, {"household": second.pk, "move": "on"})
    a.refresh_from_db()
    assert a.household == second
    audit = AuditLog.objects.filter(action="doorbell.device.bind").latest("id")
    assert audit.detail["before"] == first.pk and audit.detail["household"] == second.pk
    assert audit.detail["from_address"] == first.address
    assert audit.detail["to_address"] == second.address
