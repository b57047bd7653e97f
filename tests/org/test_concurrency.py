"""Two cadres move the same household at once: exactly one wins (PostgreSQL row locks)."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from linli.core.errors import DomainError
from linli.org import services
from linli.org.models import HouseholdLink

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_moves_of_one_household_leave_one_open_link(county, superuser):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race runs in the PostgreSQL pass")
    h = county.households_a[6]
    reps = []
    for n in range(2):
        member = services.member_create(
            actor=superuser,
            household=county.households_a[n + 1],
            name=f"代表{n}",
            relation="spouse",
        )
        reps.append(
            services.representative_appoint(
                actor=superuser, member=member, unit=county.group_a, term_start=dt.date(2025, 1, 1)
            )
        )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def move(rep):
        try:
            barrier.wait()
            services.link_assign(
                actor=superuser,
                household=h,
                representative=rep,
                on_date=dt.date(2025, 5, 1),
                reason="并发测试",
            )
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=move, args=(r,)) for r in reps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Both may succeed one after the other (the second is a move), but the
    # household never ends up with two open links.
    assert "ok" in outcomes
    assert HouseholdLink.objects.filter(household=h, valid_to__isnull=True).count() == 1
    history = list(HouseholdLink.objects.filter(household=h).order_by("id"))
    assert len(history) == outcomes.count("ok")
