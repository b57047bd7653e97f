"""A page's `next` parameter is followed only to a path of this site; anything else,
hostile or merely odd, goes to the default page instead of a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.support import factories
from tests.support.roles import Actors


@pytest.mark.parametrize(
    "target",
    ["no_such_view", "-1", "测试", "/ok\n/evil", "/\x7f", "https://evil.example/", "//evil"],
)
def test_withdraw_with_an_odd_next_goes_to_the_default(client, county, target):
    actors = Actors(county)
    record = factories.contact(county.rep_a, county.households_a[0], actor=actors.rep)
    client.force_login(actors.rep)
    url = reverse("duties:withdraw", args=["contact", record.pk])
    response = client.post(url, {"reason": "写错了", "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("duties:mine")


def test_withdraw_follows_a_path_of_this_site(client, county):
    actors = Actors(county)
    record = factories.contact(county.rep_a, county.households_a[0], actor=actors.rep)
    client.force_login(actors.rep)
    url = reverse("duties:withdraw", args=["contact", record.pk])
    response = client.post(url, {"reason": "写错了", "next": "/duties/?period=week"})
    assert response["Location"] == "/duties/?period=week"
