"""A home visit says who was met or what was found: an empty one is refused
(`visit_empty`) by the service, so the page and the API refuse it too, and it
never counts as the month's visit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.core.errors import InvalidInput
from linli.core.timeutil import today
from linli.duties import selectors, services
from linli.duties.models import HomeVisit
from tests.support.api import ApiClient as Api
from tests.support.roles import Actors

pytestmark = pytest.mark.django_db

EMPTY = ["", "   ", "\t\n\u3000", "\u200b\u200d", " \ufeff "]
# Control characters are refused as such by the input layer (`core.inputs.clean_text`).
CONTROL = ["\x00\x01\x1f", " \x07 \ufeff "]


@pytest.fixture
def actors(county):
    return Actors(county)


def _visit(actors, **kw):
    county = actors.county
    return services.visit_log(
        actor=actors.rep, representative=county.rep_a, household=county.households_a[0], **kw
    )


@pytest.mark.parametrize("text", EMPTY)
def test_service_refuses_a_visit_without_who_was_met_or_what_was_found(actors, text):
    with pytest.raises(InvalidInput) as err:
        _visit(actors, met=text, findings=text, needs="清理水沟", risks="雨季积水", note="备注")
    assert err.value.code == "visit_empty"
    assert "见到了谁" in str(err.value.message)
    assert not HomeVisit.objects.exists()
    # Still owed this month: nothing counted.
    owed = selectors.households_owed(actors.county.rep_a, today())
    assert actors.county.households_a[0] in list(owed["visits"])


@pytest.mark.parametrize("text", CONTROL)
def test_service_refuses_control_characters(actors, text):
    with pytest.raises(InvalidInput) as err:
        _visit(actors, met=text, findings=text, needs="清理水沟")
    assert err.value.code == "bad_characters"
    assert not HomeVisit.objects.exists()


@pytest.mark.parametrize("fields", [{"met": "李奶奶"}, {"findings": "屋顶漏雨"}])
def test_who_was_met_or_what_was_found_is_enough(actors, fields):
    visit = _visit(actors, **fields)
    assert HomeVisit.objects.get() == visit


def test_an_empty_visit_raises_no_appeal(actors, reference_data):
    from linli.appeals.models import Appeal

    with pytest.raises(InvalidInput) as err:
        _visit(actors, raise_appeal={"category": "water", "description": "水沟堵塞"})
    assert err.value.code == "visit_empty"
    assert not Appeal.objects.exists() and not HomeVisit.objects.exists()


def test_empty_visit_form_comes_back_with_the_error_beside_the_fields(client, actors):
    household = actors.county.households_a[1]
    client.force_login(actors.rep)
    data = {
        "household": household.pk,
        "day": today().isoformat(),
        "role": "safety",
        "met": "  ",
        "findings": "\u200b",
        "needs": "清理水沟",
        "risks": "雨季积水",
        "note": "下次再去",
    }
    r = client.post(reverse("duties:visit_new"), data)
    assert r.status_code == 200
    html = r.content.decode()
    assert not HomeVisit.objects.exists()
    # The error sits in the rows of the two fields, in Chinese.
    for name in ("met", "findings"):
        row = html[html.index(f'id="row-{name}"') :]
        row = row[: row.index("</div>")]
        assert "errorlist" in row and "请填写见到了谁或发现的情况" in row, row
    # The rest of the form is kept as it was left.
    assert 'value="清理水沟"' in html and 'value="雨季积水"' in html and 'value="下次再去"' in html
    assert 'value="safety" selected' in html or 'value="safety" checked' in html


def test_api_answers_400_visit_empty_and_writes_nothing(actors):
    county = actors.county
    api = Api(actors.rep)
    r = api.post(
        "/duties/visits",
        {"household_id": county.households_a[2].pk, "met": " \x00", "needs": "低保"},
    )
    assert r.status_code == 400, r.content  # refused by the API's parser
    assert not HomeVisit.objects.exists()
    r = api.post(
        "/duties/visits",
        {"household_id": county.households_a[2].pk, "met": " \u200b ", "needs": "低保"},
    )
    assert r.status_code == 400, r.content
    assert r.json()["code"] == "visit_empty"
    assert "见到了谁" in r.json()["message"]
    assert not HomeVisit.objects.exists()
    r = api.post("/duties/visits", {"household_id": county.households_a[2].pk, "met": "户主"})
    assert r.status_code == 201
