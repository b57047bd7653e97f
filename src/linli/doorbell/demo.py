"""The love doorbell's part of the small demo (dashboard.demo runs `seed`)."""

from __future__ import annotations

from collections.abc import Callable


def seed(progress: Callable[[str], object] = print) -> int:
    """Care register, pairings, doorbells and a few past alarms for the demo villages."""
    count = 0
    for part in (seed_care, seed_devices, seed_alarms):
        count += part() or 0
    progress(f"doorbell: {count} rows")
    return count


# --- care register and pairing ------------------------------------------------------------


def seed_care() -> None:
    pass


# --- devices, messages and maintenance ----------------------------------------------------


def seed_devices() -> None:
    pass


# --- alarms -------------------------------------------------------------------------------


def seed_alarms() -> None:
    pass
