"""The snapshots of the centre's costly sections (duty compliance, coverage): a view
within `MAX_AGE` is served the stored figures, an older one computes them again; the
tick computes again what was read lately, as a reader who still has the centre, and
forgets what nobody reads; the page says when they were computed."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.accounts.models import Role, RoleAssignment
from linli.dashboard import centre, snapshots
from linli.dashboard.models import FigureSnapshot
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def leader(county):
    return make_user("13900000201", "市领导", Role.CITY, county.city)


def _later(minutes: float):
    return mock.patch(
        "django.utils.timezone.now",
        return_value=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes),
    )


def test_a_second_view_is_served_the_snapshot_until_it_is_old(leader, county):
    calls = []
    real = centre.compute_coverage_figures

    def counting(user, unit):
        calls.append(unit.pk)
        return real(user, unit)

    with mock.patch.object(centre, "compute_coverage_figures", counting):
        first = centre.coverage_figures(leader, county.city)
        again = centre.coverage_figures(leader, county.city)
        assert len(calls) == 1
        assert again == first
        assert first["households"] > 0
        with _later(16):
            newer = centre.coverage_figures(leader, county.city)
        assert len(calls) == 2
        assert newer["as_of"] > first["as_of"]


def test_duty_labels_follow_the_viewer_s_language(leader, county):
    period = centre.parse_period({"period": "month"})
    from django.utils import translation

    with translation.override("en"):
        en = centre.duty_figures(leader, county.city, period)
        en_labels = [str(d["label"]) for d in en["duties"]]
    with translation.override("zh-hans"):
        zh = centre.duty_figures(leader, county.city, period)
        zh_labels = [str(d["label"]) for d in zh["duties"]]
    assert FigureSnapshot.objects.filter(kind="duties").count() == 1
    assert [d["key"] for d in en["duties"]] == [d["key"] for d in zh["duties"]]
    assert en_labels != zh_labels


def test_the_tick_refreshes_what_was_read_as_a_reader_who_still_may(leader, county):
    centre.coverage_figures(leader, county.city)
    other = make_user("13900000202", "乡镇干部", Role.TOWN, county.town_a)
    centre.coverage_figures(other, county.town_a)
    unread = FigureSnapshot.objects.create(
        kind="coverage", unit=county.town_b, read_at=timezone.now() - dt.timedelta(days=8)
    )
    # The town cadre loses the role: their snapshot is not computed again for them.
    RoleAssignment.objects.filter(user=other).delete()
    with _later(6):
        done = snapshots.refresh_tick()
    assert done == {"refreshed": 1, "skipped": 1, "forgotten": 1}
    assert not FigureSnapshot.objects.filter(pk=unread.pk).exists()
    city = FigureSnapshot.objects.get(kind="coverage", unit=county.city)
    assert city.computed_at > timezone.now() + dt.timedelta(minutes=5)
    # Fresh now: nothing more to do.
    with _later(7):
        assert snapshots.refresh_tick()["refreshed"] == 0


def test_the_page_says_when_the_slow_figures_were_computed(client, leader, county):
    client.force_login(leader)
    response = client.get(reverse("centre"), {"unit": county.city.pk})
    assert response.status_code == 200
    text = response.content.decode()
    assert "履职率计算于" in text
    assert "最多每 15 分钟重新统计一次" in text
