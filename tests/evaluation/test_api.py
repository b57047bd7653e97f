"""The evaluation API's contracts: rankings, one score with its parts, the weights."""

from __future__ import annotations

import pytest

from linli.core.timeutil import today
from linli.evaluation import services
from linli.evaluation.models import DEFAULT_WEIGHTS, PARTS, ScoringModel
from tests.support.api import ApiClient, rows

YEAR = today().year


@pytest.fixture
def scored(actors, county):
    services.scores_compute(YEAR)
    return county


def test_a_town_reads_its_ranking_and_a_score_that_adds_up(actors, scored):
    api = ApiClient(actors.town)
    ranking = rows(api.get("/evaluation/scores", year=YEAR))
    assert [r["representative_id"] for r in ranking] == [scored.rep_a.pk]
    assert ranking[0]["rank_town"] == 1 and ranking[0]["version"] == 1
    one = api.get(f"/evaluation/scores/{scored.rep_a.pk}", year=YEAR).json()
    assert set(one["parts"]) == set(PARTS)
    assert sum(p["points"] for p in one["parts"].values()) == one["total"]
    assert api.get(f"/evaluation/scores/{scored.rep_b.pk}", year=YEAR).status_code == 404


def test_a_representative_reads_only_their_own(actors, scored):
    api = ApiClient(actors.rep)
    assert [r["representative_id"] for r in rows(api.get("/evaluation/scores"))] == [
        scored.rep_a.pk
    ]
    assert api.get(f"/evaluation/scores/{scored.rep_a.pk}").status_code == 200
    assert api.get(f"/evaluation/scores/{scored.rep_b.pk}").status_code == 404


def test_the_city_sets_a_new_version(actors, scored):
    api = ApiClient(actors.city)
    body = {"weights": dict(DEFAULT_WEIGHTS, duties=45), "note": "加重履职"}
    r = api.post(f"/evaluation/weights/{YEAR}", body)
    assert r.status_code == 201, r.content
    assert r.json()["version"] == 2
    again = api.post(f"/evaluation/weights/{YEAR}", body)
    assert again.status_code == 400 and again.json()["code"] == "unchanged"
    versions = api.get(f"/evaluation/weights/{YEAR}").json()
    assert [v["version"] for v in versions] == [2, 1]


def test_a_town_may_not_set_weights(actors, scored):
    r = ApiClient(actors.town).post(
        f"/evaluation/weights/{YEAR}", {"weights": dict(DEFAULT_WEIGHTS, duties=45)}
    )
    assert r.status_code == 403
    assert not ScoringModel.objects.filter(version=2).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"weights": {"duties": 1.5}},
        {"weights": {"duties": True}},
        {"weights": {"duties": -3}},
        {"weights": {"duties": 10**20}},
        {"weights": {"bogus": 3}},
        {"weights": {"duties": 10}, "targets": {"activities": 0}},
        {"weights": {"duties": 10}, "note": "a\x07b"},
        {"weights": "all"},
        {},
    ],
)
def test_bad_weights_are_a_clear_400(actors, scored, body):
    r = ApiClient(actors.city).post(f"/evaluation/weights/{YEAR}", body)
    assert r.status_code in (400, 422), r.content
    assert r.status_code < 500


@pytest.mark.parametrize(
    "params", [{"year": "1999"}, {"year": "x"}, {"year": "99999999999"}, {"unit": "-1"}]
)
def test_bad_filters_are_a_400(actors, scored, params):
    r = ApiClient(actors.city).get("/evaluation/scores", **params)
    assert r.status_code in (400, 422)
