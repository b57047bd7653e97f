"""The hundred best's rules: quotas within the total, nominations within the quota and
from the town's ranking, the excluded refused, each step by the right role only, a
breach confirmed after the nomination blocking the approval, and the end-to-end
workflow with objections during the public notice."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.accounts.models import AuditLog
from linli.core.errors import Conflict, Forbidden, InvalidInput, Throttled
from linli.core.timeutil import today
from linli.honours import selectors, services
from linli.honours.models import (
    Nomination,
    NominationEvent,
    NominationEventKind,
    NominationStatus,
    Objection,
    SelectionStage,
)

from .conftest import YEAR, confirm_breach

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def opened(actors, county, seats_a=3, seats_b=1, total=100):
    sel = services.selection_open(actor=actors.city, year=YEAR, seats=total)
    services.quota_set(actor=actors.city, selection=sel, town=county.town_a, seats=seats_a)
    services.quota_set(actor=actors.city, selection=sel, town=county.town_b, seats=seats_b)
    return sel


def nominate(actors, sel, rep, who=None, citation="热心服务群众，调解纠纷十余起。"):
    return services.nominate(
        actor=who or actors.town, selection=sel, representative=rep, citation=citation
    )


def kinds(nomination):
    return [(e.kind, e.actor_id) for e in nomination.events.order_by("at", "id")]


# --- quotas ----------------------------------------------------------------------------------


def test_quotas_may_not_exceed_the_total(actors, county, zh):
    sel = services.selection_open(actor=actors.city, year=YEAR, seats=5)
    services.quota_set(actor=actors.city, selection=sel, town=county.town_a, seats=3)
    with pytest.raises(InvalidInput) as refused:
        services.quota_set(actor=actors.city, selection=sel, town=county.town_b, seats=3)
    assert refused.value.code == "quota_over_total" and "超过" in refused.value.message
    services.quota_set(actor=actors.city, selection=sel, town=county.town_b, seats=2)
    # Changing a town's own quota counts the others only.
    services.quota_set(actor=actors.city, selection=sel, town=county.town_a, seats=3)
    with pytest.raises(InvalidInput):
        services.quota_set(actor=actors.city, selection=sel, town=county.village_a, seats=1)


def test_only_the_city_opens_and_sets_quotas(actors, county):
    with pytest.raises(Forbidden):
        services.selection_open(actor=actors.town, year=YEAR)
    sel = services.selection_open(actor=actors.city, year=YEAR)
    assert sel.seats == 100 and sel.stage == SelectionStage.NOMINATING
    with pytest.raises(Forbidden):
        services.quota_set(actor=actors.town, selection=sel, town=county.town_a, seats=3)
    with pytest.raises(Conflict):
        services.selection_open(actor=actors.city, year=YEAR)
    with pytest.raises(InvalidInput):
        services.selection_open(actor=actors.city, year=YEAR + 1)


# --- nominations -----------------------------------------------------------------------------


def test_a_nomination_snapshots_the_score_and_holds_a_seat(actors, county, scored):
    sel = opened(actors, county, seats_a=2)
    n = nominate(actors, sel, county.rep_a)
    assert (n.score_total, n.rank_town, n.score_version) == (9500, 1, n.score_model.version)
    assert n.town == county.town_a and n.village == county.village_a
    # The score recomputed later does not change the snapshot.
    from linli.evaluation.models import Score

    Score.objects.filter(representative=county.rep_a).update(total=100)
    n.refresh_from_db()
    assert n.score_total == 9500
    nominate(actors, sel, scored[1])
    with pytest.raises(Conflict) as full:
        nominate(actors, sel, scored[2])
    assert full.value.code == "quota_full"
    with pytest.raises(Conflict):
        nominate(actors, sel, county.rep_a)
    assert kinds(n) == [(NominationEventKind.NOMINATE, actors.town.pk)]
    assert AuditLog.objects.filter(action="honours.nominate").count() == 2


def test_the_suggestions_are_the_top_of_the_town_ranking_without_the_excluded(
    actors, county, scored
):
    confirm_breach(actors, county, scored[1])
    sel = opened(actors, county, seats_a=2)
    suggested = [r.score.representative_id for r in selectors.suggestions(sel, county.town_a)]
    assert suggested == [county.rep_a.pk, scored[2].pk]
    nominate(actors, sel, county.rep_a)
    assert [r.score.representative_id for r in selectors.suggestions(sel, county.town_a)] == [
        scored[2].pk
    ]


def test_an_excluded_representative_is_refused_in_chinese(actors, county, scored, zh):
    confirm_breach(actors, county)
    sel = opened(actors, county)
    with pytest.raises(InvalidInput) as refused:
        nominate(actors, sel, county.rep_a)
    assert refused.value.code == "excluded"
    assert "负面清单" in refused.value.message and county.rep_a.name in refused.value.message
    assert not Nomination.objects.exists()


def test_a_town_nominates_only_its_own_and_not_without_a_quota(actors, county, scored):
    sel = opened(actors, county, seats_b=0)
    with pytest.raises(Forbidden):
        nominate(actors, sel, county.rep_b)  # town A's cadre, town B's representative
    with pytest.raises(Forbidden):
        nominate(actors, sel, county.rep_a, who=actors.village)
    with pytest.raises(Forbidden):
        nominate(actors, sel, county.rep_a, who=actors.rep)
    with pytest.raises(Conflict) as full:
        nominate(actors, sel, county.rep_b, who=actors.town_b)
    assert full.value.code == "quota_full"


def test_each_transition_by_the_right_role_only(actors, county, scored):
    sel = opened(actors, county)
    n = nominate(actors, sel, county.rep_a)
    with pytest.raises(Forbidden):
        services.town_decide(actor=actors.town_b, nomination=n, approve=True)
    with pytest.raises(Forbidden):
        services.town_decide(actor=actors.village, nomination=n, approve=True)
    with pytest.raises(InvalidInput):  # a rejection needs its reason
        services.town_decide(actor=actors.town, nomination=n, approve=False)
    services.town_decide(actor=actors.town, nomination=n, approve=True)
    with pytest.raises(Forbidden):
        services.stage_advance(actor=actors.town, selection=sel)
    with pytest.raises(Forbidden):
        services.town_submit(actor=actors.town_b, selection=sel, town=county.town_a)
    services.town_submit(actor=actors.town, selection=sel, town=county.town_a)
    with pytest.raises(Conflict):  # submitted: the town's list is closed
        services.citation_set(actor=actors.town, nomination=n, citation="改写")
    services.stage_advance(actor=actors.city, selection=sel)
    services.stage_advance(actor=actors.city, selection=sel)
    sel.refresh_from_db()
    assert sel.stage == SelectionStage.CITY_REVIEW
    with pytest.raises(Forbidden):
        services.city_decide(actor=actors.town, nomination=n, approve=True)
    services.city_decide(actor=actors.city, nomination=n, approve=True)
    with pytest.raises(Conflict):  # once
        services.city_decide(actor=actors.city, nomination=n, approve=False, note="再次")


def test_the_town_approves_only_with_a_citation(actors, county, scored, zh):
    sel = opened(actors, county)
    n = nominate(actors, sel, county.rep_a, citation="")
    with pytest.raises(InvalidInput) as refused:
        services.town_decide(actor=actors.town, nomination=n, approve=True)
    assert refused.value.code == "citation"
    services.citation_set(actor=actors.town, nomination=n, citation="带头修路")
    services.citation_set(actor=actors.town, nomination=n, citation="带头修路，调解纠纷")
    ev = n.events.filter(kind=NominationEventKind.CITATION).order_by("id")
    assert [e.data["old"] for e in ev] == ["", "带头修路"]
    services.town_decide(actor=actors.town, nomination=n, approve=True)


def _to_city_review(actors, county, sel, *noms):
    for n in noms:
        services.town_decide(actor=actors.town, nomination=n, approve=True, note="同意")
    services.town_submit(actor=actors.town, selection=sel, town=county.town_a)
    services.stage_advance(actor=actors.city, selection=sel)  # town review
    services.stage_advance(actor=actors.city, selection=sel)  # city review


def test_a_breach_confirmed_after_the_nomination_blocks_the_approval(actors, county, scored, zh):
    sel = opened(actors, county)
    n = nominate(actors, sel, county.rep_a)
    other = nominate(actors, sel, scored[1])
    _to_city_review(actors, county, sel, n, other)
    confirm_breach(actors, county)
    with pytest.raises(Conflict) as refused:
        services.city_decide(actor=actors.city, nomination=n, approve=True)
    assert refused.value.code == "breach" and "严重" in refused.value.message
    n.refresh_from_db()
    assert n.status == NominationStatus.TOWN_APPROVED
    services.city_decide(actor=actors.city, nomination=n, approve=False, note="存在严重违规")
    services.city_decide(actor=actors.city, nomination=other, approve=True)


def test_a_breach_confirmed_during_the_notice_blocks_the_final_list(actors, county, scored, later):
    sel = opened(actors, county)
    n = nominate(actors, sel, county.rep_a)
    _to_city_review(actors, county, sel, n)
    services.city_decide(actor=actors.city, nomination=n, approve=True)
    services.stage_advance(actor=actors.city, selection=sel, days=3)
    confirm_breach(actors, county)
    later.set(today() + dt.timedelta(days=3))
    with pytest.raises(Conflict) as refused:
        services.selection_finalise(actor=actors.city, selection=sel)
    assert refused.value.code == "breach"
    services.nomination_withdraw(actor=actors.city, nomination=n, note="确认严重违规")
    sel = services.selection_finalise(actor=actors.city, selection=sel)
    assert sel.stage == SelectionStage.FINAL
    n.refresh_from_db()
    assert n.status == NominationStatus.WITHDRAWN


def test_the_city_review_waits_for_every_town(actors, county, scored):
    sel = opened(actors, county)
    n = nominate(actors, sel, county.rep_a)
    services.stage_advance(actor=actors.city, selection=sel)  # town review
    with pytest.raises(Conflict) as pending:
        services.stage_advance(actor=actors.city, selection=sel)
    assert pending.value.code == "towns_pending"
    with pytest.raises(Conflict):  # nominating is over
        nominate(actors, sel, scored[1])
    services.town_decide(actor=actors.town, nomination=n, approve=True)
    services.town_submit(actor=actors.town, selection=sel, town=county.town_a)
    services.stage_advance(actor=actors.city, selection=sel)
    sel.refresh_from_db()
    assert sel.stage == SelectionStage.CITY_REVIEW


# --- THE END-TO-END WORKFLOW WITH OBJECTIONS DURING THE NOTICE --------------------------------


def test_the_hundred_best_end_to_end_with_objections_during_the_notice(
    actors, county, scored, later, zh
):
    a, z1, z2, z3 = scored
    sel = opened(actors, county, seats_a=3, seats_b=1)
    # The town nominates from its ranking: the top three.
    top = [r.score.representative for r in selectors.suggestions(sel, county.town_a)]
    assert top == [a, z1, z2]
    noms = [nominate(actors, sel, rep) for rep in top]
    b = nominate(actors, sel, county.rep_b, who=actors.town_b)
    # The town review: two approved, one rejected; town B approves its own.
    services.town_decide(actor=actors.town, nomination=noms[0], approve=True, note="同意")
    services.town_decide(actor=actors.town, nomination=noms[1], approve=True, note="同意")
    services.town_decide(actor=actors.town, nomination=noms[2], approve=False, note="事迹不足")
    services.town_decide(actor=actors.town_b, nomination=b, approve=True)
    services.stage_advance(actor=actors.city, selection=sel)
    services.town_submit(actor=actors.town, selection=sel, town=county.town_a)
    services.town_submit(actor=actors.town_b, selection=sel, town=county.town_b)
    services.stage_advance(actor=actors.city, selection=sel)
    # The city approves all three.
    for n in (noms[0], noms[1], b):
        services.city_decide(actor=actors.city, nomination=n, approve=True, note="通过")
    sel = services.stage_advance(actor=actors.city, selection=sel, days=7)
    assert sel.stage == SelectionStage.NOTICE
    assert (sel.notice_starts, sel.notice_ends) == (today(), today() + dt.timedelta(days=6))
    public = list(selectors.public_nominees(sel))
    assert {n.pk for n in public} == {noms[0].pk, noms[1].pk, b.pk}
    # Two residents object: one to rep_a, one to z1.
    upheld = services.objection_file(
        nomination=noms[0], text="该代表曾收受好处。", phone=PHONE, name="张三", client="1.1.1.1"
    )
    dismissed = services.objection_file(
        nomination=noms[1], text="他很少来我们组。", phone="13800138000", client="1.1.1.2"
    )
    assert Objection.objects.get(pk=upheld.pk).phone == PHONE
    assert upheld.phone_hash and PHONE not in upheld.phone_hash
    # Not final while the notice runs, nor while objections are open.
    with pytest.raises(Conflict) as running:
        services.selection_finalise(actor=actors.city, selection=sel)
    assert running.value.code == "notice_running"
    later.set(today() + dt.timedelta(days=7))
    with pytest.raises(Conflict) as still_open:
        services.selection_finalise(actor=actors.city, selection=sel)
    assert still_open.value.code == "objections_open"
    # The notice is over: no more objections.
    with pytest.raises(Conflict):
        services.objection_file(nomination=b, text="异议", phone=PHONE, client="1.1.1.3")
    # Only the city answers.
    with pytest.raises(Forbidden):
        services.objection_decide(actor=actors.town, objection=upheld, uphold=True, answer="查实")
    services.objection_decide(
        actor=actors.city, objection=upheld, uphold=True, answer="经核查属实，撤销推荐。"
    )
    services.objection_decide(
        actor=actors.city, objection=dismissed, uphold=False, answer="经核查不属实。"
    )
    sel = services.selection_finalise(actor=actors.city, selection=sel, note="公示期满")
    assert sel.stage == SelectionStage.FINAL
    statuses = dict(Nomination.objects.values_list("representative_id", "status"))
    assert statuses == {
        a.pk: NominationStatus.WITHDRAWN,
        z1.pk: NominationStatus.FINAL,
        z2.pk: NominationStatus.TOWN_REJECTED,
        county.rep_b.pk: NominationStatus.FINAL,
    }
    assert [n.representative_id for n in selectors.public_nominees(sel)] == [z1.pk, county.rep_b.pk]
    # Every step has its event and its actor (the resident's objection has none).
    city, town = actors.city.pk, actors.town.pk
    assert kinds(noms[0]) == [
        (NominationEventKind.NOMINATE, town),
        (NominationEventKind.TOWN_APPROVE, town),
        (NominationEventKind.CITY_APPROVE, city),
        (NominationEventKind.OBJECTION, None),
        (NominationEventKind.OBJECTION_UPHELD, city),
        (NominationEventKind.WITHDRAW, city),
    ]
    assert kinds(noms[1]) == [
        (NominationEventKind.NOMINATE, town),
        (NominationEventKind.TOWN_APPROVE, town),
        (NominationEventKind.CITY_APPROVE, city),
        (NominationEventKind.OBJECTION, None),
        (NominationEventKind.OBJECTION_DISMISSED, city),
        (NominationEventKind.FINAL, city),
    ]
    assert kinds(noms[2]) == [
        (NominationEventKind.NOMINATE, town),
        (NominationEventKind.TOWN_REJECT, town),
    ]
    stages = [
        (e.data["stage"], e.actor_id)
        for e in NominationEvent.objects.filter(
            nomination__isnull=True, kind=NominationEventKind.STAGE
        )
    ]
    assert stages == [
        (SelectionStage.TOWN_REVIEW, city),
        (SelectionStage.CITY_REVIEW, city),
        (SelectionStage.NOTICE, city),
        (SelectionStage.FINAL, city),
    ]
    assert NominationEvent.objects.filter(kind=NominationEventKind.TOWN_SUBMIT).count() == 2
    assert (
        NominationEvent.objects.exclude(kind=NominationEventKind.OBJECTION)
        .filter(actor=None)
        .count()
        == 0
    )
    assert AuditLog.objects.filter(action="honours.objection.decide").count() == 2


def test_objections_are_checked_and_limited(actors, county, scored, zh):
    sel = opened(actors, county)
    n = nominate(actors, sel, county.rep_a)
    with pytest.raises(Conflict):  # no notice yet
        services.objection_file(nomination=n, text="异议", phone=PHONE, client="c")
    _to_city_review(actors, county, sel, n)
    services.city_decide(actor=actors.city, nomination=n, approve=True)
    services.stage_advance(actor=actors.city, selection=sel)
    for bad in ("123", "1391234567x", "+1 202 555 0100", ""):
        with pytest.raises(InvalidInput):
            services.objection_file(nomination=n, text="异议", phone=bad, client="c")
    for text in ("", "异\x00议", "异\x1b议", "长" * 1001):
        with pytest.raises(InvalidInput):
            services.objection_file(nomination=n, text=text, phone=PHONE, client="c")
    for _ in range(5):
        services.objection_file(nomination=n, text="异议", phone=PHONE, client="c")
    with pytest.raises(Throttled):
        services.objection_file(nomination=n, text="异议", phone=PHONE, client="c")
    assert Objection.objects.count() == 5
