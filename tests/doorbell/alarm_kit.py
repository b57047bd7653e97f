"""Rows the alarm tests stand on: a cared-for household of town A with a doorbell, its
primary representative (rep_a's account), two backups (one with an account, one with a
mobile only) and the village cadre. Built with plain rows (the care register and the
devices are the other parts' services)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from linli.accounts.models import Role
from linli.doorbell import services
from linli.doorbell.models import (
    Alarm,
    BackupKind,
    CareBackup,
    CareKind,
    CarePairing,
    CareRecipient,
    Device,
    DeviceMessage,
)
from tests.support.factories import add_member
from tests.support.roles import make_user

_seq = itertools.count(1)
BACKUP_PHONE = "13955550002"


def device_for(household, device_id: str | None = None) -> Device:
    return Device.objects.create(
        device_id=device_id or f"DB-T{next(_seq):04d}",
        secret="test-secret-0123456789",
        household=household,
        unit=household.unit,
    )


def press(device: Device, *, at: dt.datetime | None = None, seq: int | None = None) -> Alarm:
    """An accepted press (the intake's row) and its alarm."""
    message = DeviceMessage.objects.create(
        device=device,
        seq=seq or next(_seq),
        kind="press",
        channel="http",
        received_at=at or timezone.now(),
    )
    return services.alarm_raise(message=message)


class AlarmWorld:
    """Town A's household 1 (李奶奶 is cared for), rep_a's account the primary."""

    def __init__(self, county, *, backups: bool = True):
        self.county = county
        c = county
        self.household = c.households_a[1]
        self.rep = make_user("13955550001", "甲代表", Role.REPRESENTATIVE, c.group_a)
        c.rep_a.user = self.rep
        c.rep_a.save(update_fields=["user"])
        self.cadre = make_user("13955550003", "村干部", Role.VILLAGE, c.village_a)
        self.town = make_user("13955550004", "镇干部", Role.TOWN, c.town_a)
        self.town_b = make_user("13955550005", "乙镇干部", Role.TOWN, c.town_b)
        self.neighbour = make_user("13955550006", "邻居王")  # an account, no role
        self.stranger_rep = make_user("13955550007", "丙代表", Role.REPRESENTATIVE, c.group_a)
        self.recipient = CareRecipient.objects.create(
            household=self.household,
            member=add_member(c, self.household, "李奶奶"),
            unit=self.household.unit,
            kind=CareKind.ELDERLY_ALONE,
            health_notes="高血压",
        )
        self.pairing = CarePairing.objects.create(recipient=self.recipient, primary=c.rep_a)
        if backups:
            CareBackup.objects.create(
                pairing=self.pairing,
                order=1,
                kind=BackupKind.NEIGHBOUR,
                user=self.neighbour,
                name="邻居王",
            )
            CareBackup.objects.create(
                pairing=self.pairing,
                order=2,
                kind=BackupKind.FAMILY,
                name="女儿李梅",
                phone=BACKUP_PHONE,
            )
        self.device = device_for(self.household)

    def press(self, **kw) -> Alarm:
        return press(self.device, **kw)
