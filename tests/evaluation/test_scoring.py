"""The arithmetic of a score (pure: no database)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from linli.evaluation.facts import Facts, Sources
from linli.evaluation.models import DEFAULT_TARGETS, DEFAULT_WEIGHTS, FULL_MARKS, PARTS
from linli.evaluation.scoring import competition_ranks, score

ALL = Sources(activities=True, training=True)


def full() -> Facts:
    return Facts(
        duty_required=10,
        duty_fulfilled=10,
        appeals_owned=4,
        appeals_resolved=4,
        appeals_rated=3,
        appeals_satisfied=3,
        activities=9,
        alarms_told=2,
        alarms_answered=2,
        fund_amount=20000,
        fund_spent=20000,
        training_minutes=2000,
    )


def test_everything_done_is_full_marks():
    total, parts = score(full(), DEFAULT_WEIGHTS, DEFAULT_TARGETS, ALL)
    assert total == FULL_MARKS
    assert [p.points for p in parts] == [DEFAULT_WEIGHTS[p] * 100 for p in PARTS]


def test_hand_worked_example():
    # duties 8/10 (30), appeals 1/2 (15), ratings 0/1 (15), activities 2/4 (10),
    # no alarm (10 shared), fund 5000/20000 (10), training 480/960 (10): 90 weight counted.
    f = Facts(
        duty_required=10,
        duty_fulfilled=8,
        appeals_owned=2,
        appeals_resolved=1,
        appeals_rated=1,
        appeals_satisfied=0,
        activities=2,
        fund_amount=20000,
        fund_spent=5000,
        training_minutes=480,
    )
    total, parts = score(f, DEFAULT_WEIGHTS, DEFAULT_TARGETS, ALL)
    by = {p.name: p for p in parts}
    # 30*0.8/90*100 = 26.666.., 15*0.5/90*100 = 8.333.., 10*0.5/90*100 = 5.555.. (x2),
    # 10*0.25/90*100 = 2.777..; sum = 48.888.. -> 48.89
    assert total == 4889
    assert by["doorbell"].no_data and by["doorbell"].points == 0
    assert by["ratings"].points == 0 and not by["ratings"].no_data
    assert by["duties"].points == 2667
    assert sum(p.points for p in parts) == total


def test_unused_source_is_no_data_for_everyone():
    f = full()
    total, parts = score(f, DEFAULT_WEIGHTS, DEFAULT_TARGETS, Sources(activities=False))
    by = {p.name: p for p in parts}
    assert by["activities"].no_data and by["training"].no_data
    assert total == FULL_MARKS


def test_nothing_to_measure_scores_zero():
    total, parts = score(Facts(), DEFAULT_WEIGHTS, DEFAULT_TARGETS, ALL)
    # activities and training are in use, so they count as zero of their targets.
    assert total == 0 and all(p.points == 0 for p in parts)
    total, parts = score(Facts(), DEFAULT_WEIGHTS, DEFAULT_TARGETS, Sources())
    assert total == 0 and all(p.no_data for p in parts)


counts = st.integers(min_value=0, max_value=500)


@given(
    req=counts,
    ful=counts,
    owned=counts,
    resolved=counts,
    rated=counts,
    satisfied=counts,
    activities=counts,
    told=counts,
    answered=counts,
    amount=st.one_of(st.none(), st.integers(min_value=20000, max_value=10**9)),
    spent=st.integers(min_value=0, max_value=10**9),
    minutes=st.integers(min_value=0, max_value=10**5),
    weights=st.fixed_dictionaries({p: st.integers(min_value=0, max_value=100) for p in PARTS}),
    src=st.builds(Sources, activities=st.booleans(), training=st.booleans()),
)
def test_breakdown_adds_up_to_the_total(
    req,
    ful,
    owned,
    resolved,
    rated,
    satisfied,
    activities,
    told,
    answered,
    amount,
    spent,
    minutes,
    weights,
    src,
):
    f = Facts(
        duty_required=req,
        duty_fulfilled=min(ful, req),
        appeals_owned=owned,
        appeals_resolved=min(resolved, owned),
        appeals_rated=rated,
        appeals_satisfied=min(satisfied, rated),
        activities=activities,
        alarms_told=told,
        alarms_answered=min(answered, told),
        fund_amount=amount,
        fund_spent=min(spent, amount or 0),
        training_minutes=minutes,
    )
    total, parts = score(f, weights, DEFAULT_TARGETS, src)
    assert 0 <= total <= FULL_MARKS
    assert sum(p.points for p in parts) == total
    assert all(p.points >= 0 for p in parts)
    assert all(p.points == 0 for p in parts if p.no_data)


def test_competition_ranks_share_and_skip():
    ranks = competition_ranks([(1, 90), (2, 80), (3, 90), (4, 70)])
    assert ranks == {1: 1, 3: 1, 2: 3, 4: 4}
