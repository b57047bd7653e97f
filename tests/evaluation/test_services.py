"""Computing a year's scores from the records, and the versions of the weights."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.accounts.models import AuditLog
from linli.conduct import services as conduct
from linli.conduct.demo import seed_catalogue
from linli.conduct.models import NegativeEntry
from linli.core.errors import Forbidden, InvalidInput
from linli.core.timeutil import today
from linli.evaluation import facts, selectors, services
from linli.evaluation.models import DEFAULT_WEIGHTS, PARTS, RunReason, Score
from tests.support import factories

YEAR = today().year


def _score(rep, year=YEAR) -> Score:
    return Score.objects.get(representative=rep, year=year)


def test_scores_every_representative_from_their_records(actors, county):
    # Last week's contacts: this week is owed from its Thursday on.
    day = today() - dt.timedelta(days=7)
    for h in county.households_a[:3]:
        factories.contact(county.rep_a, h, actor=actors.rep, day=day)
    run = services.scores_compute(YEAR)
    assert run.representatives == 2 and run.finished_at is not None
    a, b = _score(county.rep_a), _score(county.rep_b)
    assert a.parts["duties"]["num"] > 0 and b.parts["duties"]["num"] == 0
    assert a.total > b.total
    assert (a.rank_city, b.rank_city) == (1, 2)
    assert (a.rank_town, a.rank_village, b.rank_town) == (1, 1, 1)
    for s in (a, b):
        assert sum(s.parts[p]["points"] for p in PARTS) == s.total
    # The figures the score used are the facts gathered for one representative too.
    _reps, one = facts.gather(YEAR, [county.rep_a.pk])
    assert one[county.rep_a.pk].duty_fulfilled == a.parts["duties"]["num"]


def test_appeals_they_own_count(actors, county):
    appeal = factories.appeal(county.households_a[1])
    appeal.refresh_from_db()
    assert appeal.representative_id == county.rep_a.pk
    services.scores_compute(YEAR)
    parts = _score(county.rep_a).parts
    assert (parts["appeals"]["num"], parts["appeals"]["den"]) == (0, 1)
    assert parts["ratings"]["no_data"]
    assert _score(county.rep_b).parts["appeals"]["no_data"]


def test_a_confirmed_severe_breach_excludes(actors, county):
    seed_catalogue(county.superuser)
    entry = NegativeEntry.objects.get(code="FM-06")
    breach = conduct.breach_report(
        actor=actors.village,
        representative=county.rep_a,
        entry=entry,
        description="违规",
        occurred_on=today(),
    )
    conduct.breach_statement(actor=actors.rep, breach=breach, text="说明")
    conduct.breach_confirm(actor=actors.town, breach=breach, reason="属实")
    services.scores_compute(YEAR)
    a, b = _score(county.rep_a), _score(county.rep_b)
    assert a.excluded and a.breach_ids == [breach.pk]
    assert a.rank_city is None and a.rank_town is None
    assert b.rank_city == 1


def test_a_weights_change_is_a_new_version_and_last_year_keeps_its_scores(actors, county):
    last_year = services.scores_compute(YEAR - 1)
    services.scores_compute(YEAR)
    before = {s.pk: (s.total, s.model_id) for s in Score.objects.filter(year=YEAR - 1)}
    weights = dict(DEFAULT_WEIGHTS, duties=60, training=0)
    model = services.weights_set(
        actor=actors.city, year=YEAR, weights=weights, targets={}, note="重履职"
    )
    assert model.version == 2 and model.weights["duties"] == 60
    assert AuditLog.objects.filter(action="evaluation.weights.set").count() == 1
    assert services.stale_years() == [YEAR]
    assert services.scores_tick() == 1
    assert services.stale_years() == []
    assert set(Score.objects.filter(year=YEAR).values_list("model__version", flat=True)) == {2}
    after = {s.pk: (s.total, s.model_id) for s in Score.objects.filter(year=YEAR - 1)}
    assert after == before and last_year.model.version == 1
    assert [m.version for m in selectors.models_of(YEAR)] == [2, 1]


@pytest.mark.parametrize(
    "weights, targets",
    [
        ({"duties": -1}, {}),
        ({"duties": 101}, {}),
        ({"duties": 1.5}, {}),
        ({"duties": True}, {}),
        ({"nonsense": 5}, {}),
        ({p: 0 for p in PARTS}, {}),
        ("30", {}),
        (DEFAULT_WEIGHTS, {"activities": 0}),
        (DEFAULT_WEIGHTS, {"training_minutes": 10**12}),
        (DEFAULT_WEIGHTS, {"other": 3}),
    ],
)
def test_bad_weights_are_refused_in_chinese(actors, zh, weights, targets):
    with pytest.raises(InvalidInput) as err:
        services.weights_set(actor=actors.city, year=YEAR, weights=weights, targets=targets)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(err.value))


def test_unchanged_weights_and_future_years_are_refused(actors):
    with pytest.raises(InvalidInput):
        services.weights_set(actor=actors.city, year=YEAR, weights=DEFAULT_WEIGHTS, targets={})
    for year in (YEAR + 1, 1999, "2026", None):
        with pytest.raises(InvalidInput):
            services.scores_compute(year)


def test_only_the_city_sets_weights(actors):
    for user in (actors.town, actors.village, actors.rep):
        with pytest.raises(Forbidden):
            services.weights_set(
                actor=user, year=YEAR, weights=dict(DEFAULT_WEIGHTS, duties=50), targets={}
            )
    with pytest.raises(Forbidden):
        services.scores_compute(YEAR, reason=RunReason.REQUEST, actor=actors.town)


def test_training_minutes_count_once_anyone_attended(actors, county):
    from linli.training import services as training
    from linli.training.services import Mark

    services.scores_compute(YEAR)
    assert _score(county.rep_a).parts["training"]["no_data"]
    plan = training.plan_create(actor=actors.town, unit=county.town_a, year=YEAR, title="年度培训")
    session = training.session_create(
        actor=actors.town,
        plan=plan,
        title="履职能力培训",
        held_on=today(),
        duration_minutes=240,
        place="镇政府",
        capacity=30,
    )
    training.enrol(actor=actors.town, session=session, representatives=[county.rep_a])
    training.attendance_record(
        actor=actors.town, session=session, marks=[Mark(county.rep_a.pk, "present")]
    )
    services.scores_compute(YEAR)
    a, b = _score(county.rep_a).parts["training"], _score(county.rep_b).parts["training"]
    assert (a["num"], a["den"], a["no_data"]) == (240, 960, False)
    assert (b["num"], b["no_data"]) == (0, False)
    assert a["points"] > 0 and b["points"] == 0
