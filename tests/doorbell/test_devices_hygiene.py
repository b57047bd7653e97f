"""Doorbell device hygiene: the audited sequence reset (a doorbell whose counter
restarted after a firmware reset is heard again; page and API, who may, the audit row
from → to) and the pruning of old refused-message rows (a tick of its own)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.accounts.models import AuditLog, Role
from linli.core import ticks
from linli.doorbell import services
from linli.doorbell.models import Alarm, Device, DeviceMessage, DeviceRejection, DeviceStatus
from tests.doorbell.devices_support import device, message
from tests.support.api import ApiClient
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def cadre(county):
    return make_user("13600009301", "李畋村干部", Role.VILLAGE, county.village_a)


@pytest.fixture
def leader(county):
    return make_user("13600009302", "一组组长", Role.GROUP_LEADER, county.group_a)


@pytest.fixture
def outsider(county):
    return make_user("13600009303", "佳成村干部", Role.VILLAGE, county.village_b)


@pytest.fixture
def bound(county):
    return device(county.village_a, household=county.households_a[0])


def receive(seq: int, kind: str = "heartbeat"):
    topic, payload = message(seq=seq, kind=kind)
    return services.message_receive(payload=payload, topic=topic, channel="mqtt")


def counted_to(n: int) -> None:
    for seq in range(1, n + 1):
        assert receive(seq).accepted


# --- the sequence reset -----------------------------------------------------------------------


def test_a_restarted_counter_is_refused_until_the_reset_then_heard(bound, cadre):
    counted_to(3)
    assert receive(2500).accepted  # the doorbell had counted far
    # Firmware reset: it counts from 1 again: a replay, then too old.
    assert receive(1).reason == "replay"
    assert receive(4, "press").reason == "stale"
    assert not Alarm.objects.exists()

    services.device_seq_reset(
        actor=cadre, device=bound, to=0, reason="固件重置后从1开始计数", confirm=True
    )
    bound.refresh_from_db()
    assert (bound.last_seq, bound.seq_epoch) == (0, 1)
    audit = AuditLog.objects.get(action="doorbell.device.seq_reset")
    assert audit.actor == cadre and audit.target_id == str(bound.pk)
    assert audit.detail == {"from": 2500, "to": 0, "epoch": 1, "reason": "固件重置后从1开始计数"}

    # Heard again, with the numbers it used before; its press raises the alarm.
    assert receive(1).accepted
    press = receive(2, "press")
    assert press.accepted and press.alarm_id == Alarm.objects.get().pk
    # The replay guard holds in the new epoch.
    assert receive(2, "press").reason == "replay"
    # The messages of both epochs are kept.
    assert DeviceMessage.objects.filter(device=bound, epoch=0).count() == 4
    assert DeviceMessage.objects.filter(device=bound, epoch=1).count() == 2


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"confirm": False}, "confirm"),
        ({"reason": "  "}, "required"),
        ({"to": 10}, "seq_not_lower"),
        ({"to": 11}, "seq_not_lower"),
        ({"to": -1}, "invalid"),
        ({"to": "x"}, "invalid"),
    ],
)
def test_the_reset_needs_a_confirmation_a_reason_and_a_lower_number(bound, cadre, kw, code):
    counted_to(10)
    args = {"to": 0, "reason": "固件重置", "confirm": True, **kw}
    with pytest.raises(services.InvalidInput) as err:
        services.device_seq_reset(actor=cadre, device=bound, **args)
    assert err.value.code == code
    bound.refresh_from_db()
    assert (bound.last_seq, bound.seq_epoch) == (10, 0)
    assert not AuditLog.objects.filter(action="doorbell.device.seq_reset").exists()


def test_only_who_may_register_may_reset_and_not_a_retired_doorbell(bound, leader, outsider, cadre):
    counted_to(5)
    for user in (leader, outsider):
        with pytest.raises(services.Forbidden):
            services.device_seq_reset(actor=user, device=bound, reason="x", confirm=True)
    services.device_retire(actor=cadre, device=bound, reason="坏了")
    with pytest.raises(services.Conflict):
        services.device_seq_reset(actor=cadre, device=bound, reason="x", confirm=True)
    bound.refresh_from_db()
    assert (bound.last_seq, bound.seq_epoch, bound.status) == (5, 0, DeviceStatus.RETIRED)


def test_the_device_page_resets_with_a_reason_and_confirmation(client, bound, cadre, leader):
    counted_to(7)
    url = reverse("doorbell:device_seq_reset", args=[bound.pk])
    client.force_login(cadre)
    page = client.get(reverse("doorbell:device_detail", args=[bound.pk]), **ZH).content.decode()
    assert "重置序号" in page and 'action="' + url + '"' in page
    # Unconfirmed, or no reason: 400 with the form's errors, nothing changed.
    r = client.post(url, {"to": 0, "reason": "固件重置"}, **ZH)
    assert r.status_code == 400 and "这个字段是必填项" in r.content.decode()
    r = client.post(url, {"to": 9, "reason": "固件重置", "confirm": "on"}, **ZH)
    assert r.status_code == 400 and "新序号必须小于当前序号（7）" in r.content.decode()
    r = client.post(url, {"to": "abc", "reason": "x", "confirm": "on"}, **ZH)
    assert r.status_code == 400
    assert Device.objects.get(pk=bound.pk).seq_epoch == 0
    r = client.post(url, {"to": 0, "reason": "固件重置", "confirm": "on"}, **ZH)
    assert r.status_code == 302
    assert Device.objects.get(pk=bound.pk).last_seq == 0
    assert AuditLog.objects.get(action="doorbell.device.seq_reset").detail["from"] == 7
    # A group leader sees doorbells but may not manage them: no form, and refused.
    client.force_login(leader)
    page = client.get(reverse("doorbell:device_detail", args=[bound.pk]), **ZH).content.decode()
    assert url not in page


def test_the_api_resets(bound, cadre, outsider):
    counted_to(4)
    path = f"/doorbell/devices/{bound.pk}/seq-reset"
    api = ApiClient(cadre)
    r = api.post(path, {"to": 0, "reason": "固件重置"})
    assert r.status_code == 400 and r.json()["code"] == "confirm"
    r = api.post(path, {"to": -3, "reason": "固件重置", "confirm": True})
    assert r.status_code == 400
    r = api.post(path, {"to": 0, "reason": "固件重置", "confirm": True})
    assert r.status_code == 200, r.content
    assert (r.json()["last_seq"], r.json()["seq_epoch"]) == (0, 1)
    # Another village's cadre does not see the doorbell.
    other = ApiClient(outsider).post(path, {"to": 0, "reason": "x", "confirm": True})
    assert other.status_code == 404
    assert receive(1).accepted


# --- pruning the refused-message log ----------------------------------------------------------


def test_refused_messages_older_than_the_retention_are_pruned(bound, settings):
    now = timezone.now()

    def refused(days_ago: float) -> DeviceRejection:
        row = DeviceRejection.objects.create(claimed_id="DB-X", reason="bad_signature")
        DeviceRejection.objects.filter(pk=row.pk).update(
            received_at=now - dt.timedelta(days=days_ago)
        )
        return row

    old = [refused(91), refused(400)]
    kept = [refused(89), refused(0)]
    assert services.rejections_prune(now=now) == {"deleted": 2}
    assert set(DeviceRejection.objects.values_list("pk", flat=True)) == {r.pk for r in kept}
    assert not DeviceRejection.objects.filter(pk__in=[r.pk for r in old]).exists()
    assert services.rejections_prune(now=now) == {"deleted": 0}

    # The retention is a setting; the batches go on until nothing old is left.
    settings.LINLI = {**settings.LINLI, "DOORBELL_REJECTION_DAYS": 1}
    settings_batch, services.PRUNE_BATCH = services.PRUNE_BATCH, 1
    try:
        refused(5)
        assert services.rejections_prune(now=now) == {"deleted": 2}
    finally:
        services.PRUNE_BATCH = settings_batch
    assert list(DeviceRejection.objects.values_list("pk", flat=True)) == [kept[1].pk]


def test_the_prune_is_a_registered_tick():
    tick = ticks.registered()["doorbell.prune_rejections"]
    assert tick.func_path == "linli.doorbell.services.rejections_prune"
    assert tick.every == 3600
    DeviceRejection.objects.create(claimed_id="DB-X", reason="unknown_device")
    DeviceRejection.objects.filter().update(received_at=timezone.now() - dt.timedelta(days=100))
    outcome = ticks.execute("doorbell.prune_rejections")
    assert not DeviceRejection.objects.exists(), outcome
