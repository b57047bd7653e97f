"""Dispatch from the command centre (issue 14): the overdue appeals are listed on the
dashboard, each opens a panel (a fragment) with supervise, urge and reassign for those
above its level, and each action goes back to the dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli.appeals.models import Appeal
from tests.support import factories
from tests.support.roles import Actors

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def overdue(county, reference_data):
    actors = Actors(county)
    appeal = factories.appeal(county.households_a[1], description="井盖坏了，一直没人管。")
    Appeal.objects.filter(pk=appeal.pk).update(due_at=timezone.now() - dt.timedelta(hours=3))
    return actors, Appeal.objects.get(pk=appeal.pk)


def test_the_dashboard_lists_it_and_the_panel_offers_the_leaders_actions(client, overdue):
    actors, appeal = overdue
    client.force_login(actors.town)
    back = f"/dashboard/centre/?unit={actors.county.town_a.pk}"
    page = client.get(back, **ZH).content.decode()
    assert "待调度处置" in page and appeal.code in page
    assert f"/appeals/{appeal.code}/dispatch/" in page
    panel = client.get(f"/appeals/{appeal.code}/dispatch/", {"next": back}, **ZH).content.decode()
    for action in ("supervise", "urge", "reassign"):
        assert f"/appeals/{appeal.code}/act/{action}/" in panel
    assert f'name="next" value="{back}"' in panel
    assert actors.rep.name in panel  # the handlers one may name

    done = client.post(
        f"/appeals/{appeal.code}/act/supervise/", {"note": "请今天办结", "next": back}
    )
    assert done.status_code == 302 and done["Location"] == back
    assert Appeal.objects.get(pk=appeal.pk).supervised is True
    moved = client.post(
        f"/appeals/{appeal.code}/act/reassign/",
        {"note": "请负责", "assignee": actors.rep.pk, "next": back},
    )
    assert moved.status_code == 302 and moved["Location"] == back
    assert Appeal.objects.get(pk=appeal.pk).assignee == actors.rep


def test_a_foreign_or_broken_next_goes_to_the_appeal_and_a_handler_sees_no_dispatch(
    client, overdue
):
    actors, appeal = overdue
    client.force_login(actors.town)
    for bad in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        r = client.post(f"/appeals/{appeal.code}/act/urge/", {"note": "催一下", "next": bad})
        assert r.status_code == 302 and r["Location"] == f"/appeals/{appeal.code}/"
    client.force_login(actors.rep)  # the handler: nothing to dispatch from above
    panel = client.get(f"/appeals/{appeal.code}/dispatch/", **ZH).content.decode()
    assert "/act/supervise/" not in panel and "无法在此调度" in panel
    client.force_login(actors.town_b)
    assert client.get(f"/appeals/{appeal.code}/dispatch/").status_code == 404
