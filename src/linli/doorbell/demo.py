"""The love doorbell's part of the small demo (dashboard.demo runs `seed`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from linli.accounts.models import User
from linli.org.models import Household, Unit

from . import services
from .models import CareRecipient, Device, DeviceStatus, TaskKind


def seed() -> None:
    """Care register, pairings, doorbells and a few past alarms for the demo villages."""
    seed_care()
    seed_devices()
    seed_alarms()


# --- care register and pairing ------------------------------------------------------------


def seed_care() -> None:
    pass


# --- devices, messages and maintenance ----------------------------------------------------


# Doorbells per village when no care register exists yet (the elderly living alone).
DEMO_DEVICES_PER_VILLAGE = 8


def demo_secret(device_id: str) -> str:
    """The demo's doorbell secret, derived from SECRET_KEY and the device id, so that
    `python -m linli doorbell_press DB-...` works out of the box (never for real devices:
    they get `secrets.token_hex(16)` when registered)."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"doorbell-demo:{device_id}".encode(), hashlib.sha256
    ).hexdigest()[:32]


def _demo_households() -> list[Household]:
    """The households of the care register (helper A's seed), else the elderly living
    alone of the demo villages (a few per village)."""
    ids = list(
        CareRecipient.objects.filter(active=True)
        .order_by("unit__path", "household_id")
        .values_list("household_id", flat=True)
        .distinct()
    )
    if ids:
        by_id = Household.objects.select_related("unit").in_bulk(ids)
        return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]
    out: list[Household] = []
    per_village: dict[str, int] = {}
    for h in (
        Household.objects.filter(tags__icontains='"elderly_alone"')
        .select_related("unit")
        .order_by("unit__path", "id")
        .iterator()
    ):
        if "elderly_alone" not in h.tags:
            continue
        village = h.unit.village_path()
        if per_village.get(village, 0) >= DEMO_DEVICES_PER_VILLAGE:
            continue
        per_village[village] = per_village.get(village, 0) + 1
        out.append(h)
    return out


@transaction.atomic
def seed_devices() -> int:
    """A doorbell per care recipient's household, ids "DB-<village code>-NNN", with the
    demo secrets; recently heard from, except one with a low battery and one never heard
    from (so the maintenance list is not empty). Idempotent."""
    actor = User.objects.filter(is_superuser=True).order_by("pk").first()
    households = _demo_households()
    if actor is None or not households:
        return 0
    now = timezone.now()
    villages = {
        u.path: u for u in Unit.objects.filter(path__in={h.unit.village_path() for h in households})
    }
    numbers: dict[str, int] = {}
    made = 0
    for h in households:
        village = villages.get(h.unit.village_path())
        if village is None:
            continue
        numbers[village.path] = numbers.get(village.path, 0) + 1
        device_id = f"DB-{village.code or village.pk}-{numbers[village.path]:03d}"
        if Device.objects.filter(device_id=device_id).exists():
            continue
        device, _secret = services.device_register(
            actor=actor, device_id=device_id, unit=village, model_name="LD-100", household=h
        )
        device.secret = demo_secret(device_id)
        device.created_at = now - dt.timedelta(days=30)
        if made == 1:  # never heard from since it was put up
            device.created_at = now - dt.timedelta(days=2)
        else:
            device.last_seen_at = now - dt.timedelta(minutes=5 + made)
            device.battery = 12 if made == 0 else 70 + (made * 7) % 30
            device.last_seq = 1000 + made
        device.save()
        made += 1
    if made:
        # The battery task of the low one, and the offline task of the silent one.
        low = Device.objects.filter(battery__lte=12, status=DeviceStatus.ACTIVE).first()
        if low is not None:
            services.task_open_once(low, TaskKind.LOW_BATTERY, f"battery {low.battery}%", now)
        services.health_tick()
    return made


# --- alarms -------------------------------------------------------------------------------


def seed_alarms() -> None:
    pass
