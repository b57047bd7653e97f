"""Pages answer malformed input with the 400 page or the form's error, never a 500
(`core.inputs.InputMiddleware` and the `core.inputs` form fields)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from linli.accounts.models import Role
from linli.appeals.models import Appeal
from tests.support.roles import Actors

pytestmark = pytest.mark.django_db

BIG = str(2**63)


@pytest.fixture
def actors(reference_data, county):
    return Actors(county)


@pytest.fixture
def town(client, actors):
    client.force_login(actors.town)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/org/households/?q=%00",
        "/org/households/?q=%1b",
        "/org/representatives/?q=a%00b",
        "/appeals/?q=%00",
        "/appeals/queue/?page=%00",
        "/appeals/AB%00CD/",
        f"/org/households/{BIG}/",
        f"/org/units/{BIG}/",
        f"/appeals/photos/{BIG}/",
    ],
)
def test_malformed_paths_and_query_strings_answer_the_400_page(town, path):
    r = town.get(path)
    assert r.status_code == 400, (path, r.status_code)


@pytest.mark.parametrize(
    "path",
    [
        f"/org/households/?unit={BIG}",
        f"/org/representatives/?unit={BIG}",
        f"/appeals/stats/?unit={BIG}",
        f"/appeals/?unit={BIG}",
        "/appeals/stats/?start=0001-01-01&end=9999-12-31",
        "/duties/team/?period=custom&start=0001-01-01&end=9999-12-31",
        f"/duties/team/?unit={BIG}",
        "/org/households/?page=9223372036854775807",
        "/appeals/queue/?level=bogus&page=99999999999999999999999",
    ],
)
def test_out_of_range_filters_are_ignored_or_refused_never_a_500(town, path):
    r = town.get(path)
    assert r.status_code in (200, 400), (path, r.status_code)


def test_control_characters_in_the_public_report_form_are_the_form_error(actors):
    c = Client()
    data = {
        "phone": "13800138000",
        "code": "123456",
        "category": "facilities",
        "description": "井盖\x07坏了",
        "urgency": "normal",
        "group": actors.county.group_a.pk,
    }
    r = c.post(reverse("appeals:report"), data)
    assert r.status_code == 400  # the form, kept, with its errors
    assert r.context["form"].errors["description"]
    assert not Appeal.objects.exists()
    r = c.post(reverse("appeals:report"), data | {"description": "好\n的", "group": BIG})
    assert r.status_code == 400 and not Appeal.objects.exists()


def test_login_with_control_characters_is_the_form_error(user_in_town_a):
    user_in_town_a(Role.TOWN)
    r = Client().post(reverse("accounts:login"), {"username": "13800\x01", "password": "x\x02"})
    assert r.status_code == 200
    assert r.context["form"].errors


def test_retrying_messages_with_ids_no_row_can_have_is_refused(client, superuser):
    client.force_login(superuser)
    for ids in ([BIG], ["²"], ["1", "-1"]):
        r = client.post(reverse("notify:failed_retry"), {"ids": ids})
        assert r.status_code == 302, r.status_code  # back to the list, with the message
