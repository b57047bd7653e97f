"""An item's whole life, from a group of residents' appeals to the public notice, with a
vote that fails its quorum and one that passes (the issue's required test)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from linli.accounts.models import AuditLog
from linli.appeals.models import AppealEvent
from linli.deliberation import selectors, services
from linli.deliberation.models import Comment, ItemAppeal, Stage, Vote
from linli.notify.models import Outbox
from tests.support import factories as base

from . import factories

pytestmark = pytest.mark.django_db

ROAD = "李畋村一组 村道"


def test_from_an_appeal_group_to_the_public_notice(county, village_cadre, seven_reps):
    # Given five appeals about the same road, two written differently, and one elsewhere
    households = county.households_a
    road = [
        base.appeal(
            households[i], address=ROAD if i % 2 else "李畋村一组村道。", title=f"村道坑洼{i}"
        )
        for i in range(5)
    ]
    base.appeal(households[5], address="李畋小学门口", title="路灯不亮")

    # When the cadre opens the groups, the road's five come first
    groups = selectors.appeal_groups(village_cadre, county.village_a)
    assert groups[0].size == 5
    assert sorted(groups[0].ids) == sorted(a.pk for a in road)
    assert groups[1].size == 1

    # and proposes an item from the group in one step
    appeals = selectors.appeals_for_group(village_cadre, county.village_a, groups[0].ids)
    item = services.item_propose(
        actor=village_cadre,
        unit=county.village_a,
        title="硬化一组村道",
        description="五户反映村道坑洼",
        appeals=appeals,
    )
    assert item.stage == Stage.PROPOSED and item.source == "appeals"
    assert ItemAppeal.objects.filter(item=item).count() == 5
    # Each appeal's timeline shows the item
    for appeal in road:
        note = AppealEvent.objects.filter(appeal=appeal, action="note").latest("id")
        assert "硬化一组村道" in note.note
    assert selectors.appeal_groups(village_cadre, county.village_a)[0].items == [item]

    # A first meeting: 4 of 7 present, under the quorum of 2/3
    first = factories.meeting(county.village_a, days=1)
    item = services.item_schedule(actor=village_cadre, item=item, meeting=first)
    item = services.item_discuss(actor=village_cadre, item=item, note="代表们讨论了方案")
    item = services.item_vote(
        actor=village_cadre, item=item, present=4, votes_for=4, votes_against=0, votes_abstain=0
    )
    vote = Vote.objects.get(item=item)
    assert (vote.quorum_met, vote.passed, vote.serving) == (False, False, 7)
    assert item.stage == Stage.SCHEDULED  # still on the agenda
    # It cannot be discussed again at the meeting that failed, nor put on an earlier one
    with pytest.raises(Exception) as refused:
        services.item_discuss(actor=village_cadre, item=item, note="再讨论")
    assert refused.value.code == "needs_later_meeting"
    earlier = factories.meeting(county.village_a, days=0)
    with pytest.raises(Exception) as refused:
        services.item_schedule(actor=village_cadre, item=item, meeting=earlier)
    assert refused.value.code == "needs_later_meeting"

    # A later meeting: 6 of 7 present, 4 for: quorum and majority
    later = factories.meeting(county.village_a, days=8)
    item = services.item_schedule(actor=village_cadre, item=item, meeting=later)
    item = services.item_discuss(actor=village_cadre, item=item, note="补充讨论")
    item = services.item_vote(
        actor=village_cadre, item=item, present=6, votes_for=4, votes_against=1, votes_abstain=1
    )
    assert item.stage == Stage.VOTED and item.passed is True
    assert (item.present, item.votes_for, item.votes_against, item.votes_abstain) == (6, 4, 1, 1)

    # The decision goes to the residents who appealed
    sms_before = Outbox.objects.filter(kind="deliberation.decided").count()
    item = services.item_decide(actor=village_cadre, item=item, decision="同意硬化村道，十月动工")
    assert item.stage == Stage.DECIDED
    sms = Outbox.objects.filter(kind="deliberation.decided")
    assert sms.count() - sms_before == 5
    assert all("同意硬化村道" in row.body and "/t/" in row.body for row in sms)
    assert not ItemAppeal.objects.filter(item=item, told_at__isnull=True).exists()
    for appeal in road:
        assert AppealEvent.objects.filter(appeal=appeal, note__contains="十月动工").exists()

    # Carried out, with a photo, then made public for 7 days
    item = services.item_progress(
        actor=village_cadre, item=item, note="路基完成", photos=[base.upload()]
    )
    assert item.stage == Stage.IN_PROGRESS and item.photos.count() == 1
    item = services.item_complete(actor=village_cadre, item=item, note="完工验收")
    item = services.item_publish(actor=village_cadre, item=item)
    assert item.stage == Stage.PUBLISHED
    assert (item.published_until - item.published_at).days == 7

    # Every step is in the history, timestamped and attributed
    actions = list(item.events.values_list("action", flat=True))
    assert actions == [
        "propose", "schedule", "discuss", "vote", "schedule", "discuss", "vote",
        "decide", "progress", "complete", "publish",
    ]  # fmt: skip
    assert all(e.actor_id == village_cadre.pk and e.at for e in item.events.all())
    assert AuditLog.objects.filter(action="deliberation.vote").count() == 2

    # The town's public board shows it to anyone, with the vote and progress photo
    anon = Client()
    board = anon.get(reverse("deliberation:public_board", kwargs={"unit_id": county.town_a.pk}))
    assert board.status_code == 200
    assert "硬化一组村道" in board.content.decode()
    page = anon.get(reverse("deliberation:public_item", kwargs={"pk": item.pk}))
    text = page.content.decode()
    assert page.status_code == 200
    assert "同意硬化村道" in text and "路基完成" in text
    # The public history is the vote and what came of it, with no names of who acted
    assert village_cadre.name not in text
    api = anon.get(f"/api/v1/public/deliberation/items/{item.pk}").json()
    public_steps = ["vote", "vote", "decide", "progress", "complete", "publish"]
    assert [e["action"] for e in api["progress"]] == public_steps
    assert all("actor" not in e for e in api["progress"])
    assert village_cadre.name not in str(api)
    photo = item.photos.get()
    assert anon.get(reverse("deliberation:photo", kwargs={"pk": photo.pk})).status_code == 200

    # A resident comments without an account
    response = anon.post(
        reverse("deliberation:public_item", kwargs={"pk": item.pk}),
        {"name": "李大爷", "text": "路修得好"},
    )
    assert response.status_code == 302
    assert Comment.objects.get(item=item).text == "路修得好"
    assert (
        "路修得好"
        in anon.get(reverse("deliberation:public_item", kwargs={"pk": item.pk})).content.decode()
    )
