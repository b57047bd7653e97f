"""The appeal rates on a small hand-made set, built through the services on a fixed
clock, each equal to the value worked out by hand below.

Every appeal is urgent and filed from group A (neighbourhood level: claim within
2 hours, resolve within 24 hours). T is the filing time of all of them; the numbers
are read at T + 48 h. Hours are after T.

  A1  claimed 1 (in time), resolved 10, rated 5.
  A2  claimed 3 (late), resolved 20 (in time), rated 4.
  A3  claimed 1, resolved 6, rated 2 at 7: reopened (fresh deadline 7 + 24);
      claimed 8, resolved 12, rated 5 at 13.
  A4  escalated to the village at 1 unclaimed, claimed there at 1.5 (in time for the
      first claim deadline, 2), returned to the group at 2, claimed 2.5, resolved 6
      (in time for 2 + 24); not rated yet.
  A5  claimed 1, resolved 3, closed without a rating at 4, reopened by the
      representative at 5, merged into A6 at 6: a duplicate, not filed.
  A6  claimed 1, suspended at 30, after its deadline (24): open, and overdue.
  A7  withdrawn at 5, never claimed, after its claim deadline (2).
  A8  withdrawn at 1, before its claim deadline.
  A9  never claimed: open, overdue.

What the old counting said, for contrast: satisfaction 3 of 3 rated = 100 % (A3's 2
vanished when it was rated again); on time 4 of 4 (A3 on time by its reopening's
fresh deadline); resolved at the neighbourhood 4 of 4 (A4 went to the village);
response 4 of 6 (A7 gave up waiting and was not counted); overdue 1 (A6's
suspension hid it).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from linli.accounts.services import token_create
from linli.appeals import selectors
from linli.appeals.models import AppealEvent, Status
from tests.appeals.handmade import T, at

pytestmark = pytest.mark.django_db


def _rates(actors):
    with at(48):
        return selectors.appeal_rates(
            actors.fresh(actors.city),
            actors.county.city,
            T - dt.timedelta(days=1),
            T + dt.timedelta(days=3),
        )


def test_the_set_is_what_the_comment_says(handmade):
    a = handmade
    assert [a[i].status for i in range(1, 10)] == [
        Status.CLOSED,
        Status.CLOSED,
        Status.CLOSED,
        Status.RESOLVED,
        Status.MERGED,
        Status.SUSPENDED,
        Status.WITHDRAWN,
        Status.WITHDRAWN,
        Status.PENDING,
    ]
    ratings = AppealEvent.objects.filter(action="rate").order_by("at", "id")
    assert [e.data["rating"] for e in ratings] == [2, 5, 5, 4]  # at 7, 11, 13, 21
    assert (a[4].resolved_level, a[4].reached_level) == ("group", "village")
    assert a[5].resolved_at is not None  # resolved once, then merged


def test_each_rate_equals_the_hand_worked_value(handmade, actors):
    total, children = _rates(actors)
    # Filed: A1 A2 A3 A4 A6 A9 = 6 (A5 merged, A7 A8 withdrawn).
    assert total.filed == 6
    # Response: owed by the 6 filed and A7 (its claim deadline 2 passed before it was
    # withdrawn at 5), not A8 = 7; claimed by the first claim deadline: A1 A3 A4 A6
    # = 4. 4 / 7 = 57.1 %.
    assert (total.responded_on_time, total.response_counted) == (4, 7)
    assert total.response_rate == 57.1
    # Resolved (resolved or closed now): A1 A2 A3 A4 = 4 (A5 was resolved once, but
    # is a merged duplicate). 4 / 6 = 66.7 %.
    assert total.resolved == 4
    assert total.resolution_rate == 66.7
    # On time: A1 (10 <= 24), A2 (20 <= 24), A4 (6 <= 2 + 24); not A3, reopened after
    # its first resolution. 3 / 4 = 75.0 %.
    assert total.resolved_on_time == 3
    assert total.on_time_rate == 75.0
    # Ratings given: 5 (A1), 4 (A2), 2 and 5 (A3) = 4, 3 of them 3-5.
    assert (total.ratings, total.ratings_satisfied) == (4, 3)
    # First-time: A1 5, A2 4, A3 2: 2 of the 3 rated appeals = 66.7 %.
    # Final: A1 5, A2 4, A3 5: 3 of 3 = 100.0 %.
    assert (total.rated, total.satisfied_first, total.satisfied_final) == (3, 2, 3)
    assert total.first_satisfaction_rate == 66.7
    assert total.satisfaction_rate == 66.7
    assert total.final_satisfaction_rate == 100.0
    # By the highest level reached: A1 A2 A3 at the neighbourhood, A4 at the village
    # (escalated there, then returned and resolved at the group).
    # 3 / 4 = 75.0 %, 1 / 4 = 25.0 %, 0, 0.
    assert total.resolved_at_level == {"group": 3, "village": 1, "town": 0, "city": 0}
    assert total.level_share == {"group": 75.0, "village": 25.0, "town": 0.0, "city": 0.0}
    # Hours from filing to the last resolution: A1 10, A2 20, A3 12, A4 6;
    # (10 + 20 + 12 + 6) / 4 = 12.0.
    assert total.mean_hours_to_resolve == 12.0
    # Open: A6 (suspended) and A9 = 2. Overdue at 48: A9 (due 24) and A6 (suspended
    # at 30, after its deadline 24) = 2.
    assert (total.open, total.overdue) == (2, 2)
    # Everything came from town A: the one child row holds the same numbers.
    assert [c.unit for c in children] == [actors.county.town_a]
    assert children[0].as_dict() | {"unit_id": None, "unit_name": ""} == total.as_dict() | {
        "unit_id": None,
        "unit_name": "",
    }


def test_the_ratings_are_one_extra_query(handmade, actors, django_assert_num_queries):
    user = actors.fresh(actors.city)
    period = (actors.county.city, T - dt.timedelta(days=1), T + dt.timedelta(days=3))
    with at(48):
        selectors.appeal_rates(user, *period)  # the user's scope is cached now
        with django_assert_num_queries(4):
            # the rating events, the total, the per-child rows, the child units
            selectors.appeal_rates(user, *period)


def test_the_api_gives_both_satisfaction_rates(handmade, actors):
    _, key = token_create(actor=actors.city, name="test")
    with at(48):
        r = Client().get(
            "/api/v1/appeals/stats",
            {"unit": actors.county.city.pk, "start": "2026-03-01", "end": "2026-03-04"},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert r.status_code == 200, r.content
    total = r.json()["total"]
    assert total["first_satisfaction_rate"] == 66.7
    assert total["final_satisfaction_rate"] == 100.0
    assert (total["ratings"], total["rated"]) == (4, 3)
    assert total["level_share"]["village"] == 25.0


def test_the_page_shows_both_satisfaction_rates_and_how_they_are_counted(client, handmade, actors):
    client.force_login(actors.city)
    with at(48):
        r = client.get(
            reverse("appeals:stats"),
            {"unit": actors.county.city.pk, "start": "2026-03-01", "end": "2026-03-04"},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert r.status_code == 200
    html = r.content.decode()
    figures = {
        label.strip(): re.sub(r"<[^>]+>", "", value).strip()
        for value, label in re.findall(
            r'<div class="stat[^"]*"><b>(.*?)</b><span>(.*?)</span></div>', html, re.S
        )
    }
    assert figures["首次满意率"] == "66.7%"
    assert figures["最终满意率"] == "100.0%"
    assert "每件诉求第一次评价" in html and "每件诉求最后一次评价" in html
