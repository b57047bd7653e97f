"""The annual report API: the figures as JSON and the document, for one's own report or
a representative of one's subtree (others 404); hostile years answer 400, never 500."""

from __future__ import annotations

import pytest

from linli.core.timeutil import today
from linli.evaluation import annual
from tests.support import factories
from tests.support.api import ApiClient

from .test_annual import docx_text, pdf_text

pytestmark = pytest.mark.django_db

YEAR = today().year


@pytest.fixture
def rep(actors, county):
    for h in county.households_a[:2]:
        factories.contact(county.rep_a, h, actor=actors.rep, day=today())
    return county.rep_a


def test_the_figures_as_json(actors, rep):
    for user in (actors.rep, actors.town):
        r = ApiClient(user).get(f"/evaluation/annual/{rep.pk}", year=YEAR)
        assert r.status_code == 200, r.content
        data = r.json()
        assert data["representative"]["name"] == rep.name and data["contacts"] == 2
        assert data["households"] == 6 and data["training_minutes"] == 0
        assert data["presented"] is None and data["text"] == ""
    # Without a year: the last of the term.
    assert ApiClient(actors.rep).get(f"/evaluation/annual/{rep.pk}").json()["year"] == YEAR


def test_the_documents(actors, rep):
    api = ApiClient(actors.rep)
    r = api.get(f"/evaluation/annual/{rep.pk}/document", year=YEAR, format="docx")
    assert r.status_code == 200 and r["Content-Type"] == annual.DOCX_TYPE
    assert "attachment" in r["Content-Disposition"]
    assert rep.name in docx_text(r.content)
    r = api.get(f"/evaluation/annual/{rep.pk}/document", year=YEAR)
    assert r.status_code == 200 and r["Content-Type"] == annual.PDF_TYPE
    assert str(YEAR) in pdf_text(r.content)


def test_strangers_get_404(actors, rep):
    for user in (actors.rep_b, actors.town_b):
        api = ApiClient(user)
        for path in (f"/evaluation/annual/{rep.pk}", f"/evaluation/annual/{rep.pk}/document"):
            r = api.get(path, year=YEAR)
            assert r.status_code == 404 and rep.name not in r.content.decode()
    assert ApiClient().get(f"/evaluation/annual/{rep.pk}").status_code == 401


@pytest.mark.parametrize("year", ["99999", "-1", "1999", "abc", str(YEAR + 1), "2001"])
def test_hostile_years_answer_400_in_chinese(actors, rep, year):
    api = ApiClient(actors.rep)
    for path in (f"/evaluation/annual/{rep.pk}", f"/evaluation/annual/{rep.pk}/document"):
        r = api.client.get(
            f"/api/v1{path}", {"year": year}, headers=api.headers, HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        assert r.status_code == 400, (path, r.content)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["message"])


def test_hostile_ids_and_formats(actors, rep):
    api = ApiClient(actors.rep)
    assert api.get("/evaluation/annual/99999999999999999999").status_code in (400, 404)
    assert api.get("/evaluation/annual/0").status_code in (400, 404)
    r = api.get(f"/evaluation/annual/{rep.pk}/document", format="exe")
    assert r.status_code == 400
