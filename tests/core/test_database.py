"""Connection settings the platform relies on."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_postgresql_connections_run_without_jit():
    # JIT compiling costs ~1 s on a county-wide aggregate that runs in half that
    # (docs/performance.md); settings turn it off unless LINLI_DB_JIT=1.
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cur:
        cur.execute("SHOW jit")
        assert cur.fetchone()[0] == "off"
