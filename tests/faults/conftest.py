"""Fault tests (marker `faults`, run by scripts/faults.sh, not by `make test`)."""

from __future__ import annotations

import tempfile

import pytest

from . import kit


@pytest.fixture(scope="session")
def var_dir():
    with tempfile.TemporaryDirectory(prefix="linli-var-") as path:
        yield path


@pytest.fixture(scope="session")
def pg():
    """One throwaway cluster for the session; each test makes its own database."""
    kit.need("postgres")
    cluster = kit.PgCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def figures(request):
    """What a fault test measured, printed in the summary (scripts/faults.sh shows it)."""
    found: dict = {}
    yield found
    if found:
        line = ", ".join(f"{k}={v}" for k, v in found.items())
        request.node.user_properties.append(("figures", line))
        print(f"\nFIGURES {request.node.name}: {line}")


@pytest.fixture(scope="session")
def seeded(pg, var_dir):
    """A database migrated and seeded once (the kit's small county, a token), copied by
    each test as the template of its own: `pg.createdb(name, template="linli_seed")`."""
    environ = kit.env(LINLI_DATABASE_URL=pg.createdb("linli_seed"), LINLI_VAR_DIR=var_dir)
    return kit.seed(environ)
