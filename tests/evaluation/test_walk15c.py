"""Walk 15c (the annual report, walked as a stranger): a year in the address that the
page refuses (beyond the platform's years, not a number, one the representative did not
serve) says why on the 400 page, in Chinese, instead of only "check the address"; a
framework's own refusal still shows nothing of its wording."""

from __future__ import annotations

import pytest
from django.core.exceptions import BadRequest
from django.test import RequestFactory
from django.urls import reverse

from linli.core.timeutil import today
from linli.core.views import bad_request

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.mark.parametrize("year", ["99999", "-1", "abc"])
def test_a_bad_year_says_the_year_is_not_valid(client, actors, year):
    client.force_login(actors.rep)
    r = client.get(reverse("evaluation:annual_mine"), {"year": year}, **ZH)
    text = r.content.decode()
    assert r.status_code == 400
    assert 'id="error-detail"' in text and "年度无效。" in text


def test_a_year_not_served_names_the_representative(client, actors, county):
    county.rep_a.term_start = today().replace(month=1, day=1)
    county.rep_a.save(update_fields=["term_start"])
    client.force_login(actors.rep)
    r = client.get(reverse("evaluation:annual_mine"), {"year": today().year - 1}, **ZH)
    assert r.status_code == 400
    assert f"{county.rep_a.name} 在 {today().year - 1} 年未担任代表" in r.content.decode()


def test_a_framework_refusal_shows_no_detail(rf: RequestFactory, actors):
    request = rf.get("/x/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    request.user = actors.rep
    r = bad_request(request, BadRequest("internal wording"))
    assert r.status_code == 400
    assert "internal wording" not in r.content.decode()
    assert 'id="error-detail"' not in r.content.decode()
