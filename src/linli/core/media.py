"""Uploaded files no row points at: what a failed commit after the files were
written leaves behind (photos and documents are saved inside the record's
transaction, and a rollback cannot take a file back)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models


def referenced_files() -> set[str]:
    """Storage names held by every FileField of every installed model."""
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                names.update(
                    n
                    for n in model._base_manager.exclude(**{field.name: ""})
                    .values_list(field.name, flat=True)
                    .iterator()
                    if n
                )
    return names


@dataclass(frozen=True)
class Orphan:
    name: str  # the storage name, relative to MEDIA_ROOT
    size: int
    age_hours: float


def orphans(*, older_than_hours: float = 24.0) -> Iterator[Orphan]:
    """Files under MEDIA_ROOT that no row points at and that were last written
    more than `older_than_hours` ago (younger ones may belong to a transaction
    still in flight)."""
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    keep = referenced_files()
    now = time.time()
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(root).as_posix()
        stat = path.stat()
        age = (now - stat.st_mtime) / 3600
        if name not in keep and age >= older_than_hours:
            yield Orphan(name, stat.st_size, age)


def purge(*, older_than_hours: float = 24.0, dry_run: bool = False) -> list[Orphan]:
    """Delete the orphans (or only list them); return what was found."""
    found = list(orphans(older_than_hours=older_than_hours))
    if not dry_run:
        root = Path(settings.MEDIA_ROOT)
        for orphan in found:
            (root / orphan.name).unlink(missing_ok=True)
    return found
