"""Unreferenced uploads are found and deleted; referenced and young ones are kept."""

from __future__ import annotations

import datetime as dt
import os
import time
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from linli.core import media
from linli.duties.models import AnnualReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _file(name: str, hours_old: float) -> str:
    stored = default_storage.save(name, ContentFile(b"%PDF-1.4\n"))
    then = time.time() - hours_old * 3600
    os.utime(default_storage.path(stored), (then, then))
    return stored


def test_only_old_files_no_row_points_at_are_purged(media_root, county):
    kept = _file("duties/reports/2026/kept.pdf", 48)
    AnnualReport.objects.create(
        representative=county.rep_a, day=dt.date(2026, 11, 2), kind="residents", document=kept
    )
    orphan = _file("duties/visits/2026/11/orphan.jpg", 48)
    young = _file("duties/visits/2026/11/young.jpg", 2)

    found = media.purge(older_than_hours=24, dry_run=True)
    assert [o.name for o in found] == [orphan]
    assert default_storage.exists(orphan)  # a dry run deletes nothing

    media.purge(older_than_hours=24)
    assert not default_storage.exists(orphan)
    assert default_storage.exists(kept) and default_storage.exists(young)


def test_command_reports_what_it_deletes_and_refuses_a_short_age(media_root, county):
    orphan = _file("appeals/x/orphan.jpg", 30)
    out = StringIO()
    call_command("media_purge", "--dry-run", stdout=out)
    assert orphan in out.getvalue() and "would delete 1 unreferenced file(s)" in out.getvalue()
    call_command("media_purge", stdout=StringIO())
    assert not default_storage.exists(orphan)
    with pytest.raises(CommandError):
        call_command("media_purge", "--hours", "0.5")


def test_missing_media_root_finds_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "none"
    assert media.purge() == []
