"""The home page: the dashboard app above the domains, at `/` (name `home`)."""

import pytest
from django.urls import resolve, reverse

from linli.accounts.models import Role

pytestmark = pytest.mark.django_db


def test_home_is_served_by_the_dashboard_at_the_root():
    assert reverse("home") == "/"
    assert resolve("/").func.__module__ == "linli.dashboard.views"


def test_home_needs_log_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_cadre_home_shows_coverage_of_each_unit_below(county, user_in_town_a, client):
    client.force_login(user_in_town_a(Role.TOWN))
    body = client.get(reverse("home")).content.decode()
    assert "李畋村" in body and "永和镇" not in body


def test_representative_home_lists_the_households_linked_to_them(county, user_in_town_a, client):
    client.force_login(user_in_town_a(Role.REPRESENTATIVE))
    response = client.get(reverse("home"))
    home = response.context["summary"]
    assert {h.head_name for h in home.my_households} == {f"李{n}" for n in range(6)}
    assert response.context["appeals"] == {"todo": 0, "overdue": 0}
    body = response.content.decode()
    assert "李畋村一组0号" in body and "佳成村" not in body


def test_superuser_home_starts_at_the_top_of_the_tree(county, superuser, client):
    client.force_login(superuser)
    response = client.get(reverse("home"))
    assert [u.name for u in response.context["roots"]] == ["浏阳市"]
    assert response.context["summary"].households == 14
    assert response.context["coverage"] is None
