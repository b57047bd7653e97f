"""Every read of the love doorbell, scoped (policy.py says who sees what)."""

from __future__ import annotations

from dataclasses import dataclass

from linli.org.models import Unit

from .models import (
    DEFAULT_ACK_MINUTES,
    DEFAULT_BATTERY_LOW,
    DEFAULT_OFFLINE_MINUTES,
    DoorbellSettings,
)


@dataclass(frozen=True)
class EffectiveSettings:
    """A unit's timeouts: its own row, else the nearest ancestor's, else the defaults."""

    ack_minutes: int
    offline_minutes: int
    battery_low: int
    duty_cadre_id: int | None
    source_unit_id: int | None  # whose row applies; None: the defaults


def settings_for(unit: Unit) -> EffectiveSettings:
    rows = {
        s.unit.path: s
        for s in DoorbellSettings.objects.select_related("unit").filter(
            unit__path__in=unit.ancestor_paths()
        )
    }
    for path in reversed(unit.ancestor_paths()):
        row = rows.get(path)
        if row is not None:
            return EffectiveSettings(
                ack_minutes=row.ack_minutes,
                offline_minutes=row.offline_minutes,
                battery_low=row.battery_low,
                duty_cadre_id=row.duty_cadre_id,
                source_unit_id=row.unit_id,
            )
    return EffectiveSettings(
        ack_minutes=DEFAULT_ACK_MINUTES,
        offline_minutes=DEFAULT_OFFLINE_MINUTES,
        battery_low=DEFAULT_BATTERY_LOW,
        duty_cadre_id=None,
        source_unit_id=None,
    )


# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------


# --- alarms and response figures ----------------------------------------------------------
