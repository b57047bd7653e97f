"""The evaluation pages: rankings, why this score, my scores, the weights."""

from __future__ import annotations

import io

import openpyxl
import pytest

from linli.accounts.models import AuditLog
from linli.core.timeutil import today
from linli.evaluation import services
from linli.evaluation.models import PARTS, ScoringModel

YEAR = today().year


@pytest.fixture
def scored(actors, county):
    services.scores_compute(YEAR)
    return county


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_town_ranking_lists_its_representatives_only(client, actors, scored, zh):
    r = _get(client, actors.town, "/evaluation/", year=YEAR)
    page = r.content.decode()
    assert r.status_code == 200
    assert scored.rep_a.name in page and scored.rep_b.name not in page
    assert "镇内排名" in page or "村内排名" in page


def test_city_ranking_drills_down_by_unit(client, actors, scored, zh):
    r = _get(client, actors.city, "/evaluation/", year=YEAR)
    page = r.content.decode()
    assert r.status_code == 200
    assert scored.town_a.name in page and scored.town_b.name in page
    assert scored.rep_a.name in page and scored.rep_b.name in page
    r = _get(client, actors.city, "/evaluation/", year=YEAR, unit=scored.village_b.pk)
    assert scored.rep_b.name in r.content.decode() and scored.rep_a.name not in r.content.decode()


def test_a_cadre_cannot_open_another_towns_unit(client, actors, scored):
    r = _get(client, actors.town, "/evaluation/", year=YEAR, unit=scored.town_b.pk)
    assert r.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"year": "abc"},
        {"year": str(YEAR + 1)},
        {"year": "99999999999999999999"},
        {"year": "1999"},
        {"unit": "x"},
        {"unit": "-1"},
        {"q": "a" * 60},
    ],
)
def test_bad_filters_are_a_clear_400(client, actors, scored, params):
    r = _get(client, actors.city, "/evaluation/", **params)
    assert r.status_code == 400


def test_why_this_score_adds_up_and_links_its_records(client, actors, scored, zh):
    rep = scored.rep_a
    r = _get(client, actors.village, f"/evaluation/{YEAR}/{rep.pk}/")
    page = r.content.decode()
    assert r.status_code == 200
    assert "为什么是这个分数" in page or "得分构成" in page
    for part in PARTS:
        assert f'id="part-{part}"' in page
    assert f"/duties/rep/{rep.pk}/" in page


def test_a_representative_sees_only_their_own_score(client, actors, scored):
    own = _get(client, actors.rep, f"/evaluation/{YEAR}/{scored.rep_a.pk}/")
    assert own.status_code == 200
    other = _get(client, actors.rep, f"/evaluation/{YEAR}/{scored.rep_b.pk}/")
    assert other.status_code == 404
    assert _get(client, actors.rep, "/evaluation/").status_code == 403
    mine = _get(client, actors.rep, "/evaluation/mine/")
    assert (
        mine.status_code == 200
        and f"/evaluation/{YEAR}/{scored.rep_a.pk}/" in mine.content.decode()
    )
    client.logout()
    assert client.get(f"/evaluation/{YEAR}/{scored.rep_a.pk}/").status_code == 404


def test_another_towns_cadre_gets_404_on_a_score(client, actors, scored):
    r = _get(client, actors.town_b, f"/evaluation/{YEAR}/{scored.rep_a.pk}/")
    assert r.status_code == 404


def test_export_is_the_ranking_and_audited(client, actors, scored):
    r = _get(client, actors.city, "/evaluation/export.xlsx", year=YEAR)
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][2] == "代表" and len(rows) == 3
    assert {rows[1][2], rows[2][2]} == {scored.rep_a.name, scored.rep_b.name}
    assert AuditLog.objects.filter(action="export.evaluation").count() == 1


def test_weights_page_makes_a_new_version(client, actors, scored, zh):
    client.force_login(actors.city)
    r = client.get("/evaluation/weights/", {"year": YEAR})
    assert r.status_code == 200
    data = {"action": "weights", "note": "加重履职"}
    data.update({f"w_{p}": "10" for p in PARTS})
    data.update({"w_duties": "40", "t_activities": "6", "t_training_minutes": "600"})
    r = client.post(f"/evaluation/weights/?year={YEAR}", data)
    assert r.status_code == 302
    model = ScoringModel.objects.get(year=YEAR, version=2)
    assert model.weights["duties"] == 40 and model.targets["activities"] == 6
    r = client.get("/evaluation/", {"year": YEAR})
    assert "等待下次计算" in r.content.decode()
    r = client.post(f"/evaluation/weights/?year={YEAR}", {"action": "recompute"})
    assert r.status_code == 302
    r = client.get("/evaluation/", {"year": YEAR})
    assert "等待下次计算" not in r.content.decode()


@pytest.mark.parametrize(
    "field, value",
    [
        ("w_duties", "-1"),
        ("w_duties", "101"),
        ("w_duties", "1e9"),
        ("w_duties", "x"),
        ("t_activities", "0"),
        ("note", "a\x00b"),
        ("note", "理" * 201),
    ],
)
def test_weights_form_refuses_bad_values(client, actors, scored, field, value):
    client.force_login(actors.city)
    data = {"action": "weights", "note": "调整"}
    data.update({f"w_{p}": "10" for p in PARTS})
    data.update({"t_activities": "4", "t_training_minutes": "960", field: value})
    r = client.post(f"/evaluation/weights/?year={YEAR}", data)
    assert r.status_code == 400
    assert not ScoringModel.objects.filter(year=YEAR, version=2).exists()


def test_only_the_city_opens_the_weights(client, actors, scored):
    for user in (actors.town, actors.village, actors.rep):
        assert _get(client, user, "/evaluation/weights/").status_code == 403
