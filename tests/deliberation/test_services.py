"""The rules of the deliberation list: the catalogue's inheritance, the voting rule, vote
counts, who may do what, the activity as a source, undeliberated decisions."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.accounts.models import AuditLog, Role
from linli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from linli.deliberation import policy, selectors, services
from linli.deliberation.models import Item, Source, Stage, Vote
from tests.support import factories as base
from tests.support.roles import make_user

from . import factories

pytestmark = pytest.mark.django_db


def test_a_village_inherits_the_towns_catalogue_and_cannot_remove_it(
    county, town_cadre, village_cadre
):
    town = services.matter_create(
        actor=town_cadre, unit=county.town_a, code="GC", title="村级公共工程建设"
    )
    own = services.matter_create(
        actor=village_cadre, unit=county.village_a, code="CT", title="祠堂修缮"
    )
    assert list(selectors.matters_for(county.village_a)) == [town, own]
    assert list(selectors.matters_for(county.village_b)) == []  # another town's
    assert list(selectors.matters_for(county.town_a)) == [town]
    with pytest.raises(Forbidden):
        services.matter_retire(actor=village_cadre, matter=town)
    with pytest.raises(Forbidden):
        services.matter_create(actor=village_cadre, unit=county.town_a, code="X", title="x")
    with pytest.raises(Conflict):
        services.matter_create(actor=village_cadre, unit=county.village_a, code="GC", title="x")
    # A town entry whose code a village already uses below is refused too
    with pytest.raises(Conflict):
        services.matter_create(actor=town_cadre, unit=county.town_a, code="CT", title="x")
    services.matter_retire(actor=village_cadre, matter=own)
    assert list(selectors.matters_for(county.village_a)) == [town]
    assert AuditLog.objects.filter(action="deliberation.retire_matter").count() == 1


def test_the_default_rule_is_two_thirds_and_more_than_half():
    from linli.deliberation.models import VotingRule

    rule = VotingRule()
    assert rule.quorum_met(5, 7) and not rule.quorum_met(4, 7)
    assert rule.quorum_met(2, 3) and not rule.quorum_met(0, 0)
    assert rule.passes(3, 5) and not rule.passes(3, 6) and not rule.passes(0, 0)


def test_a_village_rule_raises_the_quorum_and_never_lowers_it(county, village_cadre, seven_reps):
    services.rule_set(
        actor=village_cadre, unit=county.village_a, quorum_num=3, quorum_den=4,
        majority_num=1, majority_den=2,
    )  # fmt: skip
    item = _discussed(county, village_cadre)
    # 5 of 7 present would meet the law's two thirds, not the village's three quarters
    item = services.item_vote(
        actor=village_cadre, item=item, present=5, votes_for=5, votes_against=0, votes_abstain=0
    )
    assert item.stage == Stage.SCHEDULED and not Vote.objects.get(item=item).quorum_met
    log = AuditLog.objects.get(action="deliberation.set_rule")
    assert log.detail["before"] == [2, 3, 1, 2] and log.detail["after"] == [3, 4, 1, 2]
    for q, qd, m, md, code in (
        (1, 2, 1, 2, "rule_quorum_floor"),  # below two thirds present
        (1, 100, 1, 100, "rule_quorum_floor"),
        (2, 3, 1, 3, "rule_majority_floor"),  # below half of those present
        (2, 3, 2, 2, "rule_majority"),
    ):
        with pytest.raises(InvalidInput) as exc:
            services.rule_set(
                actor=village_cadre, unit=county.village_a, quorum_num=q, quorum_den=qd,
                majority_num=m, majority_den=md,
            )  # fmt: skip
        assert exc.value.code == code
    assert AuditLog.objects.filter(action="deliberation.set_rule").count() == 1
    with pytest.raises(InvalidInput):
        services.rule_set(
            actor=village_cadre, unit=county.town_a, quorum_num=3, quorum_den=4,
            majority_num=1, majority_den=2,
        )  # fmt: skip


def _discussed(county, actor):
    item = factories.item(county, actor)
    item = services.item_schedule(
        actor=actor, item=item, meeting=factories.meeting(county.village_a)
    )
    return services.item_discuss(actor=actor, item=item, note="讨论")


def test_no_discussion_or_vote_for_a_cancelled_or_coming_meeting(county, village_cadre):
    """What a meeting said is recorded once it has met: not for a cancelled meeting, and
    not days before it takes place."""
    from django.utils import timezone

    from linli.activities.models import ActivityStatus

    coming = factories.meeting(county.village_a)
    coming.starts_at = timezone.now() + dt.timedelta(days=3)
    coming.save(update_fields=["starts_at"])
    item = factories.item(county, village_cadre)
    item = services.item_schedule(actor=village_cadre, item=item, meeting=coming)
    with pytest.raises(Conflict) as exc:
        services.item_discuss(actor=village_cadre, item=item, note="提前写好的讨论")
    assert exc.value.code == "meeting_not_yet"

    held = factories.meeting(county.village_a, days=2)
    item = services.item_schedule(actor=village_cadre, item=item, meeting=held)
    item = services.item_discuss(actor=village_cadre, item=item, note="讨论")
    held.status = ActivityStatus.CANCELLED
    held.save(update_fields=["status"])
    with pytest.raises(Conflict) as exc:
        services.item_vote(
            actor=village_cadre, item=item, present=3, votes_for=3, votes_against=0,
            votes_abstain=0,
        )  # fmt: skip
    assert exc.value.code == "meeting_cancelled"
    item.refresh_from_db()
    assert item.stage == Stage.DISCUSSED and not Vote.objects.filter(item=item).exists()


@pytest.mark.parametrize(
    "counts, code",
    [
        ((8, 1, 0, 0), "vote_present"),
        ((5, 3, 2, 1), "vote_total"),
        ((-1, 0, 0, 0), "vote_count"),
        ((True, 0, 0, 0), "vote_count"),
        (("5", 0, 0, 0), "vote_count"),
    ],
)
def test_vote_counts_are_validated(county, village_cadre, seven_reps, counts, code):
    item = _discussed(county, village_cadre)
    present, f, a, ab = counts
    with pytest.raises(InvalidInput) as refused:
        services.item_vote(
            actor=village_cadre, item=item, present=present, votes_for=f, votes_against=a,
            votes_abstain=ab,
        )  # fmt: skip
    assert refused.value.code == code
    assert not Vote.objects.exists()


def test_a_majority_not_reached_is_rejected(county, village_cadre, seven_reps):
    item = _discussed(county, village_cadre)
    item = services.item_vote(
        actor=village_cadre, item=item, present=6, votes_for=3, votes_against=2, votes_abstain=1
    )
    assert item.stage == Stage.VOTED and item.passed is False  # 3 of 6 is not more than half
    item = services.item_decide(actor=village_cadre, item=item, decision="不实施")
    assert item.stage == Stage.REJECTED
    with pytest.raises(Conflict):
        services.item_progress(actor=village_cadre, item=item, note="x")


def test_who_may_do_what(county, village_cadre, town_b_cadre, seven_reps):
    rep_user = make_user("13900000011", "甲代表", Role.REPRESENTATIVE, county.group_a)
    county.rep_a.user = rep_user
    county.rep_a.save(update_fields=["user"])
    # A representative serving in the village proposes; the item says so
    item = services.item_propose(actor=rep_user, unit=county.village_a, title="增设路灯")
    assert item.source == Source.REPRESENTATIVE and item.representative == county.rep_a
    assert policy.can_view(rep_user, item)
    assert list(selectors.items_visible_to(rep_user)) == [item]
    # but does not schedule or vote
    with pytest.raises(Forbidden):
        services.item_schedule(
            actor=rep_user, item=item, meeting=factories.meeting(county.village_a)
        )
    # may withdraw their own proposal while it is proposed
    # Another town's cadre sees nothing and may do nothing
    assert not selectors.items_visible_to(town_b_cadre).exists()
    with pytest.raises(NotFound):
        selectors.item_get(town_b_cadre, item.pk)
    with pytest.raises(Forbidden):
        services.item_propose(actor=town_b_cadre, unit=county.village_a, title="x")
    with pytest.raises(Forbidden):
        services.item_withdraw(actor=town_b_cadre, item=item, note="x")
    item = services.item_withdraw(actor=rep_user, item=item, note="已由村里解决")
    assert item.stage == Stage.WITHDRAWN
    # Not in a town, only in a village
    with pytest.raises(InvalidInput):
        services.item_propose(actor=village_cadre, unit=county.town_a, title="x")


def test_policy_filter_and_check_agree(county, village_cadre, town_cadre, town_b_cadre, seven_reps):
    a = factories.item(county, village_cadre)
    b = services.item_propose(actor=town_b_cadre, unit=county.village_b, title="佳成村事项")
    rep_b = make_user("13900000012", "乙代表", Role.REPRESENTATIVE, county.group_b)
    county.rep_b.user = rep_b
    county.rep_b.save(update_fields=["user"])
    for user in (village_cadre, town_cadre, town_b_cadre, rep_b):
        visible = set(Item.objects.filter(policy.view_q(user)))
        for item in (a, b):
            assert (item in visible) == policy.can_view(user, item), (user, item)
    assert set(Item.objects.filter(policy.view_q(rep_b))) == {b}


def test_an_item_from_an_activity(county, village_cadre):
    lecture = factories.meeting(county.village_a, kind="lecture", title="睦邻微宣讲")
    item = services.item_propose(
        actor=village_cadre, unit=county.village_a, title="宣讲中提出的修渠", activity=lecture
    )
    assert item.source == Source.ACTIVITY and item.activity == lecture
    assert item.events.get().data["activity"] == lecture.pk
    elsewhere = factories.meeting(county.village_b)
    with pytest.raises(InvalidInput):
        services.item_propose(
            actor=village_cadre, unit=county.village_a, title="x", activity=elsewhere
        )


def test_a_meeting_must_be_a_deliberation_of_the_village(county, village_cadre):
    item = factories.item(county, village_cadre)
    for meeting in (
        factories.meeting(county.village_b),
        factories.meeting(county.village_a, kind="festival"),
        factories.meeting(county.village_a, status="cancelled"),
    ):
        with pytest.raises(InvalidInput):
            services.item_schedule(actor=village_cadre, item=item, meeting=meeting)


def test_only_a_town_cadre_records_an_undeliberated_decision(county, town_cadre, village_cadre):
    matter = services.matter_create(
        actor=town_cadre, unit=county.town_a, code="ZJ", title="集体资金使用"
    )
    day = dt.date.today() - dt.timedelta(days=3)
    with pytest.raises(Forbidden):
        services.skipped_record(
            actor=village_cadre,
            unit=county.village_a,
            matter=matter,
            decided="买车",
            decided_on=day,
        )
    row = services.skipped_record(
        actor=town_cadre, unit=county.village_a, matter=matter, decided="买车", decided_on=day,
        evidence="财务凭证", photo=base.upload(),
    )  # fmt: skip
    assert row.photo
    assert list(selectors.skipped_visible_to(village_cadre)) == [row]
    assert AuditLog.objects.filter(action="deliberation.record_breach").exists()
    with pytest.raises(InvalidInput):
        services.skipped_record(
            actor=town_cadre, unit=county.village_a, matter=matter, decided="x",
            decided_on=dt.date.today() + dt.timedelta(days=2),
        )  # fmt: skip
    with pytest.raises(InvalidInput):
        services.skipped_record(
            actor=town_cadre, unit=county.village_a, matter=matter, decided="x", decided_on=day,
            photo=base.upload("x.png", b"not an image"),
        )  # fmt: skip
