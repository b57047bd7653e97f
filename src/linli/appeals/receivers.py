"""Receivers of `core.hooks` notifications from the apps below appeals."""

from __future__ import annotations

from django.db.models import Value
from django.db.models.functions import Concat, Substr

from . import tally
from .models import Appeal


def units_moved(*, old_path: str, new_path: str) -> None:
    """A unit moved (`org.services.unit_move`): rewrite the copied origin paths under it."""
    Appeal.objects.filter(origin_path__startswith=old_path).update(
        origin_path=Concat(Value(new_path), Substr("origin_path", len(old_path) + 1))
    )
    tally.mark_all()  # the rollup's rows are keyed by the old paths
