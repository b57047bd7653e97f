"""The benchmark's year of appeals loads into a database that has the whole schema.

`make bench` stopped at bench/03_appeals.py on every fresh database: its load
emptied the appeal tables with a bare TRUNCATE, which PostgreSQL refuses while
another table's foreign key references them (the duty logs' `appeal` link),
whether or not any row does. CI also runs the benchmarks at a tiny scale
(`.ci/run`); this is the quick check inside the suite.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from django.db import connection

from linli.appeals.models import Appeal
from linli.duties.models import ContactLog, HomeVisit
from tests.support import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def bench_data():
    spec = importlib.util.spec_from_file_location("_appeals_data", BENCH / "_appeals_data.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("_appeals_data", module)
    spec.loader.exec_module(module)
    yield module
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {module.META}")


def _foreign_keys_to_appeals() -> set[tuple[str, str]]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE contype = 'f' AND confrelid = 'appeals_appeal'::regclass"
        )
        return set(cur.fetchall())


def test_the_load_replaces_the_appeals_and_keeps_the_duty_logs(actors, file_appeal, bench_data):
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark loads with COPY: PostgreSQL only")
    county = actors.county
    appeal = file_appeal()
    household = county.households_a[1]
    log = factories.contact(county.rep_a, household, actor=actors.rep)
    ContactLog.objects.filter(pk=log.pk).update(appeal=appeal)
    visit = factories.visit(county.rep_a, household, actor=actors.rep, met="户主")
    HomeVisit.objects.filter(pk=visit.pk).update(appeal=appeal)
    keys = _foreign_keys_to_appeals()
    assert {"duties_contactlog", "duties_homevisit"} <= {table for table, _name in keys}

    bench_data.ensure_meta()
    lines: list[str] = []
    result = bench_data.load(40, log=lines.append)

    assert result["counts"]["appeals"] == 40
    assert Appeal.objects.count() == 40
    assert not Appeal.objects.filter(pk=appeal.pk, description=appeal.description).exists()
    # The duty logs stay, without the link to the appeal that is gone ...
    log.refresh_from_db()
    visit.refresh_from_db()
    assert log.appeal_id is None and visit.appeal_id is None
    assert any("unlinked 1 rows of duties_contactlog" in line for line in lines)
    # ... and their foreign keys are back, as they were.
    assert _foreign_keys_to_appeals() == keys
