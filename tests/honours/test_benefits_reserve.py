"""Benefits only for the year's final list; the reserve pool proposed by the rule (age,
score, breach), idempotently, and confirmed or declined by the town."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.core.errors import Conflict, Forbidden, InvalidInput
from linli.core.timeutil import today
from linli.evaluation.models import Score
from linli.honours import selectors, services
from linli.honours.models import (
    BenefitIssue,
    Nomination,
    NominationStatus,
    ReserveCandidate,
    ReserveStatus,
    Selection,
    SelectionStage,
)

from .conftest import YEAR, confirm_breach

pytestmark = pytest.mark.django_db


def final_list(actors, county, reps, later):
    """A selection of this year run through to its final list with `reps` on it."""
    sel = services.selection_open(actor=actors.city, year=YEAR, seats=10)
    services.quota_set(actor=actors.city, selection=sel, town=county.town_a, seats=5)
    noms = [
        services.nominate(actor=actors.town, selection=sel, representative=r, citation="事迹")
        for r in reps
    ]
    for n in noms:
        services.town_decide(actor=actors.town, nomination=n, approve=True)
    services.town_submit(actor=actors.town, selection=sel, town=county.town_a)
    services.stage_advance(actor=actors.city, selection=sel)
    services.stage_advance(actor=actors.city, selection=sel)
    for n in noms:
        services.city_decide(actor=actors.city, nomination=n, approve=True)
    services.stage_advance(actor=actors.city, selection=sel, days=1)
    later.set(today() + dt.timedelta(days=1))
    return services.selection_finalise(actor=actors.city, selection=sel)


def test_benefits_go_only_to_the_final_list(actors, county, scored, later, zh):
    final_list(actors, county, [county.rep_a], later)
    kind = services.benefit_kind_save(actor=actors.city, name="景区免票", provider="市文旅局")
    with pytest.raises(Forbidden):
        services.benefit_kind_save(actor=actors.town, name="公交卡")
    issue = services.benefit_issue(
        actor=actors.town,
        kind=kind,
        representative=county.rep_a,
        year=YEAR,
        issued_on=dt.date(YEAR, 1, 5),
        reference="JQ-001",
    )
    assert issue.unit_path == county.rep_a.unit.path
    with pytest.raises(Conflict) as twice:
        services.benefit_issue(
            actor=actors.town, kind=kind, representative=county.rep_a, year=YEAR, issued_on=today()
        )
    assert twice.value.code == "already_issued"
    with pytest.raises(InvalidInput) as not_final:
        services.benefit_issue(
            actor=actors.town, kind=kind, representative=scored[1], year=YEAR, issued_on=today()
        )
    assert not_final.value.code == "not_final" and "名单" in not_final.value.message
    with pytest.raises(Forbidden):  # another town's cadre
        services.benefit_issue(
            actor=actors.town_b,
            kind=kind,
            representative=county.rep_a,
            year=YEAR,
            issued_on=today(),
        )
    # Revoked, never deleted; then it may be given again.
    services.benefit_revoke(actor=actors.town, issue=issue, reason="登记错误")
    services.benefit_issue(
        actor=actors.city, kind=kind, representative=county.rep_a, year=YEAR, issued_on=today()
    )
    assert BenefitIssue.objects.count() == 2
    assert list(selectors.issues_of(actors.town_b, YEAR)) == []
    # Stopped kinds are not given.
    services.benefit_kind_save(
        actor=actors.city, kind=kind, name=kind.name, provider=kind.provider, active=False
    )
    kind.refresh_from_db()
    with pytest.raises(Conflict):
        services.benefit_issue(
            actor=actors.city,
            kind=kind,
            representative=county.rep_a,
            year=YEAR,
            issued_on=today(),
        )


def test_a_withdrawn_nominee_gets_no_benefit(actors, county, scored):
    sel = Selection.objects.create(year=YEAR, stage=SelectionStage.FINAL)
    score = Score.objects.get(representative=county.rep_a, year=YEAR)
    Nomination.objects.create(
        selection=sel,
        representative=county.rep_a,
        town=county.town_a,
        village=county.village_a,
        unit_path=county.rep_a.unit.path,
        score_total=score.total,
        score_model=score.model,
        score_version=1,
        status=NominationStatus.WITHDRAWN,
    )
    kind = services.benefit_kind_save(actor=actors.city, name="有线电视")
    with pytest.raises(InvalidInput):
        services.benefit_issue(
            actor=actors.city, kind=kind, representative=county.rep_a, year=YEAR, issued_on=today()
        )


def _born(rep, years_old):
    member = rep.member
    member.birth_date = today().replace(year=today().year - years_old) - dt.timedelta(days=1)
    member.save(update_fields=["birth_date"])


def test_the_reserve_pool_is_proposed_by_the_rule(actors, county, scored):
    a, z1, z2, z3 = scored  # scores 95, 90, 85, 80 in town A; rep_b 88 in town B
    _born(a, 30)
    _born(z1, 45)  # not under 45
    _born(z2, 44)
    _born(z3, 30)
    _born(county.rep_b, 40)
    services.reserve_rule_set(actor=actors.city, year=YEAR, max_age=45, min_score=85)
    with pytest.raises(Forbidden):
        services.reserve_rule_set(actor=actors.town, year=YEAR, max_age=40, min_score=80)
    confirm_breach(actors, county, county.rep_b)
    assert services.reserve_propose(actor=actors.city, year=YEAR) == 2
    got = {c.representative_id: c for c in ReserveCandidate.objects.all()}
    assert set(got) == {a.pk, z2.pk}  # z1 too old, z3 under the score, rep_b breached
    assert (got[a.pk].age, got[a.pk].score_total) == (30, 9500)
    # Idempotent: again proposes nobody new and keeps the decided.
    services.reserve_decide(actor=actors.town, candidate=got[a.pk], confirm=True)
    assert services.reserve_propose(actor=actors.city, year=YEAR) == 0
    assert ReserveCandidate.objects.get(pk=got[a.pk].pk).status == ReserveStatus.CONFIRMED
    # A lower threshold adds z3 only.
    services.reserve_rule_set(actor=actors.city, year=YEAR, max_age=45, min_score=80)
    assert services.reserve_propose(actor=actors.city, year=YEAR) == 1
    with pytest.raises(Forbidden):
        services.reserve_propose(actor=actors.town, year=YEAR)


def test_the_town_confirms_or_declines_its_candidates(actors, county, scored, zh):
    _born(county.rep_a, 30)
    _born(scored[1], 30)
    services.reserve_propose(actor=actors.city, year=YEAR)
    a = ReserveCandidate.objects.get(representative=county.rep_a)
    z = ReserveCandidate.objects.get(representative=scored[1])
    with pytest.raises(Forbidden):
        services.reserve_decide(actor=actors.town_b, candidate=a, confirm=True)
    with pytest.raises(Forbidden):
        services.reserve_decide(actor=actors.village, candidate=a, confirm=True)
    with pytest.raises(InvalidInput):  # a decline needs its reason
        services.reserve_decide(actor=actors.town, candidate=z, confirm=False)
    services.reserve_decide(actor=actors.town, candidate=z, confirm=False, note="本人不愿意")
    confirm_breach(actors, county)
    with pytest.raises(Conflict) as refused:
        services.reserve_decide(actor=actors.town, candidate=a, confirm=True)
    assert refused.value.code == "breach"
    z.refresh_from_db()
    assert (z.status, z.decided_by_id, z.note) == (
        ReserveStatus.DECLINED,
        actors.town.pk,
        "本人不愿意",
    )
    assert [(e.kind, e.actor_id) for e in z.events.all()] == [
        (ReserveStatus.PROPOSED, actors.city.pk),
        (ReserveStatus.DECLINED, actors.town.pk),
    ]
    # The village cadre sees their village's candidates; town B's cadre none.
    assert selectors.candidates_of(actors.village, year=YEAR).count() == 2
    assert selectors.candidates_of(actors.town_b, year=YEAR).count() == 0
