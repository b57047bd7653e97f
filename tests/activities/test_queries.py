"""Lists read a fixed number of queries, however many rows they show."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linli.activities import services
from tests.support.api import ApiClient

pytestmark = pytest.mark.django_db


def _count(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("where", ["api", "page", "calendar", "export"])
def test_a_list_costs_the_same_for_two_or_eight_rows(
    client, county, village_cadre, rep_user, make_activity, where
):
    client.force_login(village_cadre)
    api = ApiClient(village_cadre, token=False, client=client)
    calls = {
        "api": lambda: api.get("/activities"),
        "page": lambda: client.get(reverse("activities:list")),
        "calendar": lambda: client.get(reverse("activities:calendar")),
        "export": lambda: client.get(reverse("activities:export")),
    }

    def add(n):
        for i in range(n):
            a = make_activity(title=f"活动{i}", guard_teams=[county.team_a])
            services.signup_by_account(actor=rep_user, activity=a)

    add(2)
    few = _count(calls[where])
    add(6)
    many = _count(calls[where])
    assert many == few, (where, few, many)
