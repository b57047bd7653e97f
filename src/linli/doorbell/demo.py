"""The love doorbell's part of the small demo (dashboard.demo runs `seed`)."""

from __future__ import annotations


def seed() -> None:
    """Care register, pairings, doorbells and a few past alarms for the demo villages."""
    seed_care()
    seed_devices()
    seed_alarms()


# --- care register and pairing ------------------------------------------------------------


def seed_care() -> None:
    pass


# --- devices, messages and maintenance ----------------------------------------------------


def seed_devices() -> None:
    pass


# --- alarms -------------------------------------------------------------------------------


def seed_alarms() -> None:
    pass
