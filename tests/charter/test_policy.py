"""The charter policy: for a table of people, the filters and the checks agree on every
unit and version, and say what the rules say; reads do not grow with the data."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client
from django.urls import reverse

from linli.charter import policy, services
from linli.charter.models import CharterEntry, CharterVersion
from linli.org.models import Unit
from tests.support import factories
from tests.support.api import ApiClient
from tests.support.queries import assert_queries_flat

from .conftest import NEW_YEAR

pytestmark = pytest.mark.django_db

WHO = ("city", "admin", "town_a", "town_b", "village_a", "group_leader", "rep_a", "rep_b")


@pytest.fixture
def lists(county, people, town_list):
    """Published: the city's, town A's. Drafts: town B's, village A's."""
    drafts = [
        services.charter_draft_create(
            actor=people.town_b, unit=county.town_b, title="永和镇草稿", effective_from=NEW_YEAR
        ),
        services.charter_draft_create(
            actor=people.village_a,
            unit=county.village_a,
            title="李畋村草稿",
            effective_from=NEW_YEAR,
        ),
    ]
    return drafts


def users(people, superuser):
    return [(name, getattr(people, name)) for name in WHO] + [("superuser", superuser)]


def test_filters_and_checks_agree(county, people, superuser, lists):
    units = list(Unit.objects.all())
    versions = list(CharterVersion.objects.select_related("unit"))
    for name, user in users(people, superuser):
        fresh = type(user).objects.get(pk=user.pk)
        seen = set(Unit.objects.filter(policy.list_units_q(fresh)).values_list("pk", flat=True))
        writes = set(Unit.objects.filter(policy.write_units_q(fresh)).values_list("pk", flat=True))
        shown = set(
            CharterVersion.objects.filter(policy.view_versions_q(fresh)).values_list(
                "pk", flat=True
            )
        )
        for unit in units:
            assert policy.can_view_list(fresh, unit) == (unit.pk in seen), (name, unit.name)
            assert policy.can_write(fresh, unit) == (unit.pk in writes), (name, unit.name)
        for v in versions:
            assert policy.can_view_version(fresh, v) == (v.pk in shown), (name, v.title)


def test_who_writes_which_list(county, people, superuser):
    c = county
    expected = {
        "city": {c.city, c.town_a, c.town_b, c.village_a, c.village_b},
        "admin": {c.city, c.town_a, c.town_b, c.village_a, c.village_b},
        "town_a": {c.town_a, c.village_a},
        "town_b": {c.town_b, c.village_b},
        "village_a": {c.village_a},
        "group_leader": set(),
        "rep_a": set(),
        "rep_b": set(),
        "superuser": {c.city, c.town_a, c.town_b, c.village_a, c.village_b},
    }
    for name, user in users(people, superuser):
        got = {u for u in Unit.objects.all() if policy.can_write(user, u)}
        assert got == expected[name], name


def test_who_sees_which_version(county, people, superuser, lists):
    by_title = {v.title: v for v in CharterVersion.objects.select_related("unit")}
    city, town_a = "村（居）民代表责权清单", "大瑶镇村（居）民代表责权清单"
    expected = {
        "rep_a": {city, town_a},
        "rep_b": {city},
        "group_leader": {city, town_a},
        "village_a": {city, town_a, "李畋村草稿"},
        "town_a": {city, town_a, "李畋村草稿"},
        "town_b": {city, "永和镇草稿"},
        "city": set(by_title),
    }
    for name, titles in expected.items():
        user = getattr(people, name)
        got = {t for t, v in by_title.items() if policy.can_view_version(user, v)}
        assert got == titles, name


def test_the_lists_and_versions_do_not_query_per_row(county, people, town_list):
    seq = itertools.count(1)

    def more_entries(n):
        for _ in range(n):
            i = next(seq)
            CharterEntry.objects.create(
                version=town_list, code=f"extra-{i}", kind="right", title=f"额外{i}"
            )

    rep = ApiClient(people.rep_a)
    assert_queries_flat(more_entries, lambda: rep.get("/charter/in-force"))
    page = Client()
    page.force_login(people.rep_a)
    assert_queries_flat(more_entries, lambda: page.get(reverse("charter:mine")))

    def more_versions(n):
        for _ in range(n):
            village = factories.add_unit(county, county.town_a, name=f"新村{next(seq)}")
            v = services.charter_draft_create(
                actor=people.town_a, unit=village, title="新村清单", effective_from=NEW_YEAR
            )
            services.charter_entry_add(
                actor=people.town_a, version=v, code="v", kind="right", title="村权利"
            )
            services.charter_publish(actor=people.town_a, version=v)

    cadre = ApiClient(people.town_a)
    assert_queries_flat(more_versions, lambda: cadre.get("/charter/versions"))
    page.force_login(people.town_a)
    assert_queries_flat(more_versions, lambda: page.get(reverse("charter:versions")))
