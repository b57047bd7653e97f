"""The bridge's batches (services.messages_receive): a batch taken set-wise writes the
same rows, with the same outcomes, as its messages taken one at a time
(services.message_receive), whatever the batch holds: presses of households with and
without a pairing, an open alarm to join, heartbeats, refusals, a doorbell twice, a low
battery, an open maintenance task."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.utils import timezone

from linli.accounts.models import Role
from linli.doorbell import services
from linli.doorbell.models import (
    Alarm,
    AlarmEvent,
    AlarmNotice,
    CareKind,
    CarePairing,
    CareRecipient,
    Device,
    DeviceMessage,
    DeviceRejection,
    DeviceStatus,
    MaintenanceTask,
    TaskKind,
)
from linli.notify.models import Outbox
from tests.doorbell.alarm_kit import AlarmWorld, device_for, press
from tests.doorbell.devices_support import message, tampered
from tests.support.factories import add_member
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db

SECRET = "test-secret-0123456789"  # alarm_kit's doorbells


def msg(device_id: str, seq: int, **kw) -> tuple[bytes, str, bool]:
    topic, payload = message(device_id, seq=seq, secret=SECRET, **kw)
    return payload, topic, False


class World:
    def __init__(self, county):
        c = county
        self.alarm_world = AlarmWorld(county)  # households_a[1]: pairing, primary with account
        self.cadre = self.alarm_world.cadre
        self.paired = self.alarm_world.device
        # households_a[2]: pairing whose primary (rep_b) has no account: SMS to the mobile.
        h2 = c.households_a[2]
        r2 = CareRecipient.objects.create(
            household=h2,
            member=add_member(c, h2, "张爷爷"),
            unit=h2.unit,
            kind=CareKind.ELDERLY_ALONE,
        )
        CarePairing.objects.create(recipient=r2, primary=c.rep_b)
        self.no_account = device_for(h2)
        self.no_recipient = device_for(c.households_a[3])  # the cadre is told
        h4 = c.households_a[4]
        CareRecipient.objects.create(
            household=h4, member=add_member(c, h4, "王奶奶"), unit=h4.unit, kind=CareKind.DISABLED
        )
        self.no_pairing = device_for(h4)
        self.open_alarm_device = device_for(c.households_a[5])
        self.open_alarm = press(self.open_alarm_device, seq=1)
        Device.objects.filter(pk=self.open_alarm_device.pk).update(last_seq=1)
        self.unbound = Device.objects.create(device_id="DB-UNBOUND", secret=SECRET, unit=c.group_a)
        self.low = device_for(c.households_b[0])
        self.offline = device_for(c.households_b[1])
        MaintenanceTask.objects.create(
            device=self.offline,
            unit_id=self.offline.unit_id,
            kind=TaskKind.OFFLINE,
            opened_at=timezone.now(),
        )
        self.heartbeat = device_for(c.households_b[2])
        self.retired = device_for(c.households_b[3])
        Device.objects.filter(pk=self.retired.pk).update(status=DeviceStatus.RETIRED)
        self.twice = device_for(c.households_b[4])
        self.replayed = device_for(c.households_b[5])
        DeviceMessage.objects.create(
            device=self.replayed, seq=7, kind="press", channel="mqtt", received_at=timezone.now()
        )
        Device.objects.filter(pk=self.replayed.pk).update(last_seq=7)
        make_user("13955550099", "乙村干部", Role.VILLAGE, c.village_b)

    def batch(self) -> list[tuple[bytes, str, bool]]:
        bad_topic, bad = message(self.paired.device_id, seq=1, secret=SECRET)
        return [
            msg(self.paired.device_id, 100, battery=80),
            msg(self.no_account.device_id, 100),
            msg(self.no_recipient.device_id, 100, battery=55),
            msg(self.no_pairing.device_id, 100),
            msg(self.open_alarm_device.device_id, 100),
            msg(self.unbound.device_id, 100),
            msg(self.low.device_id, 100, battery=5),
            msg(self.offline.device_id, 100, battery=90),
            msg(self.heartbeat.device_id, 100, kind="heartbeat", battery=70),
            msg(self.retired.device_id, 100),
            msg(self.twice.device_id, 100),
            msg(self.twice.device_id, 101),
            msg(self.replayed.device_id, 7),
            msg("DB-NOBODY", 100),
            (tampered(bad, sig="0" * 64), bad_topic, False),
            (b"{not json", "linli/doorbell/DB-MALFORMED/press", False),
        ]


def srt(rows) -> list:
    return sorted(rows, key=repr)


def _snapshot() -> dict[str, list]:
    """The rows a batch writes, without keys and times (which differ between runs)."""
    homes = {a.pk: a.household_id for a in Alarm.objects.all()}

    def home_of(text: str) -> str:
        return re.sub(r"/doorbell/alarms/(\d+)/", lambda m: f"<alarm of {homes[int(m[1])]}>", text)

    return {
        "messages": srt(
            DeviceMessage.objects.values_list(
                "device__device_id", "seq", "kind", "channel", "battery"
            )
        ),
        "devices": srt(
            (d.device_id, d.last_seq, d.battery, d.last_seen_at is not None)
            for d in Device.objects.all()
        ),
        "alarms": srt(
            (
                a.household_id,
                a.recipient_id,
                a.pairing_id,
                a.unit_id,
                a.status,
                a.step,
                a.next_step_at is not None
                and round((a.next_step_at - a.raised_at).total_seconds()),
                a.device.device_id,
                a.message.seq,
            )
            for a in Alarm.objects.select_related("device", "message")
        ),
        "notices": srt(
            AlarmNotice.objects.values_list(
                "alarm__household_id",
                "step",
                "position",
                "role",
                "user_id",
                "name",
                "phone",
                "live",
                "sms",
            )
        ),
        "events": srt(
            AlarmEvent.objects.values_list("alarm__household_id", "kind", "note", "actor_id")
        ),
        "outbox": srt(
            (
                o.channel,
                o.kind,
                o.user_id,
                o.address,
                o.title,
                home_of(o.body),
                home_of(o.url),
                homes[o.payload["alarm"]] if "alarm" in o.payload else None,
            )
            for o in Outbox.objects.all()
        ),  # fmt: skip
        "tasks": srt(
            (t.device.device_id, t.kind, t.resolved_at is None, t.note)
            for t in MaintenanceTask.objects.select_related("device")
        ),
        "rejections": srt(DeviceRejection.objects.values_list("claimed_id", "reason")),
    }


def _outcomes(outcomes) -> list[tuple]:
    homes = {a.pk: a.household_id for a in Alarm.objects.all()}
    return [
        (o.status, o.reason, o.device_id, homes.get(o.alarm_id), o.message_id is not None)
        for o in outcomes
    ]


def test_a_batch_writes_what_one_at_a_time_writes(county):
    world = World(county)
    batch = world.batch()
    with transaction.atomic():
        before = transaction.savepoint()
        together = services.messages_receive(batch, channel="mqtt", remote="mqtt")
        seen_together = (_outcomes(together), _snapshot())
        transaction.savepoint_rollback(before)
        one_by_one = [
            services.message_receive(payload=p, topic=t, channel="mqtt", remote="mqtt")
            for p, t, _again in batch
        ]
        seen_one_by_one = (_outcomes(one_by_one), _snapshot())
    assert seen_together[0] == seen_one_by_one[0]
    for table in seen_one_by_one[1]:
        assert seen_together[1][table] == seen_one_by_one[1][table], table
    # What the batch holds, checked in plain terms too.
    outcomes, rows = seen_together
    statuses = [o[0] for o in outcomes]
    assert statuses.count("accepted") == 11 and statuses.count("duplicate") == 1
    households = {a[0] for a in rows["alarms"]}
    # Seven new (the paired, no account, no recipient, no pairing, low battery, open task,
    # the doorbell twice: its second press joins its first) and the open one, joined.
    assert len(rows["alarms"]) == 8
    assert county.households_a[5].pk in households  # the earlier alarm, still one
    assert {"bad_signature", "unknown_device", "malformed", "retired_device", "replay"} <= {
        r[1] for r in rows["rejections"]
    }
    assert ("DB-T" in rows["tasks"][0][0]) and any(
        t[1] == TaskKind.LOW_BATTERY for t in rows["tasks"]
    )


def test_a_batch_of_presses_takes_a_few_statements_whatever_its_size(
    county, django_assert_max_num_queries
):
    world = AlarmWorld(county, backups=False)
    devices = [world.device] + [device_for(h) for h in county.households_a[2:7]]
    for h in county.households_a[2:7]:
        r = CareRecipient.objects.create(
            household=h, member=add_member(county, h, f"老人{h.pk}"), unit=h.unit,
            kind=CareKind.ELDERLY_ALONE,
        )  # fmt: skip
        CarePairing.objects.create(recipient=r, primary=county.rep_a)
    batch = [msg(d.device_id, 50, battery=90) for d in devices]
    with django_assert_max_num_queries(14), transaction.atomic():
        outcomes = services.messages_receive(batch, channel="mqtt")
    assert all(o.accepted and o.alarm_id for o in outcomes)
    assert Alarm.objects.count() == 6 and AlarmNotice.objects.count() == 6
    assert Outbox.objects.filter(channel="sms").count() == 6


@pytest.mark.django_db(transaction=True)
def test_the_pushes_of_a_batch_reach_each_told_page(county):
    """Two presses in one batch (the bridge's transaction): the primary's open page gets
    both alarms, with sound, after the one commit, and the town's live panel both
    changes (sent together, forwarded one by one)."""
    from asgiref.sync import async_to_sync
    from channels.db import database_sync_to_async

    from tests.doorbell.test_alarm_live import cookie_of, socket

    world = AlarmWorld(county, backups=False)
    other = device_for(county.households_a[3])
    r = CareRecipient.objects.create(
        household=county.households_a[3], member=add_member(county, county.households_a[3], "赵奶奶"),
        unit=county.households_a[3].unit, kind=CareKind.ELDERLY_ALONE,
    )  # fmt: skip
    CarePairing.objects.create(recipient=r, primary=county.rep_a)
    batch = [msg(world.device.device_id, 9), msg(other.device_id, 9)]
    cookie, town_cookie = cookie_of(world.rep), cookie_of(world.town)

    def take() -> list:
        with transaction.atomic():
            return services.messages_receive(batch, channel="mqtt")

    async def run():
        ws = socket(cookie, "/ws/notify/")
        panel = socket(town_cookie, "/ws/doorbell/alarms/")
        assert await ws.connect() and await panel.connect()
        await ws.receive_json()  # the unread count
        outcomes = await database_sync_to_async(take)()
        pushed = []
        while len(pushed) < 2:
            message = await ws.receive_json()
            if "alarm" in message:
                pushed.append(message)
        changes = [await panel.receive_json(), await panel.receive_json()]
        await ws.disconnect()
        await panel.disconnect()
        return outcomes, pushed, changes

    outcomes, pushed, changes = async_to_sync(run)()
    assert [c["change"] for c in changes] == ["notified", "notified"]
    assert sorted(c["alarm"]["id"] for c in changes) == sorted(o.alarm_id for o in outcomes)
    assert sorted(m["alarm"]["id"] for m in pushed) == sorted(o.alarm_id for o in outcomes)
    assert all(m["sound"] is True for m in pushed)
    assert {m["alarm"]["device"] for m in pushed} == {world.device.device_id, other.device_id}


def test_a_batch_sends_one_message_a_group_however_many_alarms_it_carries():
    """`_gathered`: the banners for one user and the changes for one panel each go as
    one channel-layer message, in the batch's order; a lone banner goes as it is."""
    from linli.doorbell.services import _gathered

    def banner(n: int) -> dict:
        return {"type": "notify.push", "title": "t", "sound": True, "alarm": {"id": n}}

    def change(n: int) -> dict:
        return {"type": "alarm.change", "change": "notified", "alarm": {"id": n}}

    sends = [
        (["notify.user.1"], banner(1)),
        (["doorbell.a", "doorbell.a.b"], change(1)),
        (["notify.user.1", "notify.user.2"], banner(2)),
        (["doorbell.a"], change(2)),
        (["notify.user.1"], banner(3)),
    ]
    out = dict((groups[0], message) for groups, message in _gathered(sends))
    assert [g for (g,), _m in _gathered(sends)] == [
        "notify.user.1", "notify.user.2", "doorbell.a", "doorbell.a.b"
    ]  # fmt: skip
    assert out["notify.user.1"]["type"] == "notify.pushes"
    assert [p["alarm"]["id"] for p in out["notify.user.1"]["pushes"]] == [1, 2, 3]
    assert all(p["type"] == "notify.push" for p in out["notify.user.1"]["pushes"])
    assert out["notify.user.2"] == banner(2)
    assert [c["alarm"]["id"] for c in out["doorbell.a"]["changes"]] == [1, 2]
    assert [c["alarm"]["id"] for c in out["doorbell.a.b"]["changes"]] == [1]
