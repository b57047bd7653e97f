"""Reassign (指派): a leader above names who handles an appeal at its level, without
leaving their screen; the handler is told, the step is on the timeline and audited."""

from __future__ import annotations

import pytest

from linli.accounts.models import AuditLog, Role
from linli.appeals import services
from linli.appeals.models import Appeal, Status
from linli.core.errors import Conflict, Forbidden, InvalidInput
from linli.notify.models import Outbox
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_rep(actors):
    """Another serving representative of group A, with an account."""
    from linli.org.models import Member, Relation, Representative

    county = actors.county
    user = make_user("13700000021", "李代表", Role.REPRESENTATIVE, county.group_a)
    home = county.households_a[2]
    member = Member.objects.create(household=home, name="李代表", relation=Relation.HEAD)
    Representative.objects.create(
        member=member, unit=county.group_a, user=user, name="李代表",
        term_start=county.rep_a.term_start,
    )  # fmt: skip
    return user


def test_a_leader_assigns_a_pending_appeal_to_a_named_handler(actors, file_appeal, second_rep):
    appeal = file_appeal()
    assert appeal.status == Status.PENDING
    done = services.appeal_act(
        actor=actors.fresh(actors.town),
        appeal=appeal,
        action="reassign",
        note="请李代表负责",
        assignee=second_rep,
    )
    assert done.status == Status.CLAIMED and done.assignee == second_rep
    assert done.first_claimed_at is not None and done.claim_due_at is None
    event = done.events.get(action="reassign")
    assert event.data["assignee"] == second_rep.pk and event.data["previous"] is None
    assert event.note == "请李代表负责" and event.actor == actors.town
    assert AuditLog.objects.filter(action="appeal.reassign").count() == 1
    told = Outbox.objects.filter(channel="inapp", kind="appeal.reassign")
    assert [o.user_id for o in told] == [second_rep.pk]


def test_a_claimed_appeal_changes_hands_and_keeps_its_status(actors, file_appeal, second_rep):
    appeal = file_appeal()
    services.appeal_act(actor=actors.fresh(actors.rep), appeal=appeal, action="claim")
    services.appeal_act(actor=actors.fresh(actors.rep), appeal=appeal, action="start")
    appeal.refresh_from_db()
    first_claimed = appeal.first_claimed_at
    done = services.appeal_act(
        actor=actors.fresh(actors.village),
        appeal=appeal,
        action="reassign",
        note="换人办理",
        assignee=second_rep,
    )
    assert done.status == Status.IN_PROGRESS and done.assignee == second_rep
    assert done.first_claimed_at == first_claimed  # the response time stays the first claim's
    assert done.events.get(action="reassign").data["previous"] == actors.rep.pk


def test_only_a_handler_of_the_level_may_be_named(actors, file_appeal, second_rep):
    appeal = file_appeal()
    for wrong in (
        actors.rep_b,
        actors.dept,
        actors.town_b,
    ):  # another group, a department, another town
        with pytest.raises(InvalidInput) as refused:
            services.appeal_act(
                actor=actors.fresh(actors.town), appeal=appeal, action="reassign",
                note="x", assignee=wrong,
            )  # fmt: skip
        assert refused.value.code == "assignee_not_handler"
    with pytest.raises(InvalidInput) as missing:
        services.appeal_act(
            actor=actors.fresh(actors.town), appeal=appeal, action="reassign", note="x"
        )
    assert missing.value.code == "assignee_required"
    with pytest.raises(InvalidInput):  # a note is required
        services.appeal_act(
            actor=actors.fresh(actors.town), appeal=appeal, action="reassign", assignee=second_rep
        )
    assert Appeal.objects.get(pk=appeal.pk).status == Status.PENDING


def test_only_a_superior_may_reassign(actors, file_appeal, second_rep):
    appeal = file_appeal()
    for who in (actors.rep, actors.town_b):
        with pytest.raises((Forbidden, Conflict)):
            services.appeal_act(
                actor=actors.fresh(who), appeal=appeal, action="reassign",
                note="x", assignee=second_rep,
            )  # fmt: skip
    assert not Appeal.objects.get(pk=appeal.pk).events.filter(action="reassign").exists()


def test_the_page_lists_the_handlers_and_refuses_a_stranger_id(
    client, actors, file_appeal, second_rep
):
    appeal = file_appeal()
    client.force_login(actors.town)
    page = client.get(f"/appeals/{appeal.code}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'name="assignee"' in page and "李代表" in page and "指派办理人" in page
    url = f"/appeals/{appeal.code}/act/reassign/"
    bad = client.post(url, {"note": "x", "assignee": actors.rep_b.pk}, follow=True,
                      HTTP_ACCEPT_LANGUAGE="zh-hans")  # fmt: skip
    assert bad.status_code == 200 and Appeal.objects.get(pk=appeal.pk).status == Status.PENDING
    for hostile in ("abc", "-1", "9" * 40, "\x00"):
        r = client.post(url, {"note": "x", "assignee": hostile}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert r.status_code in (302, 400)
    ok = client.post(url, {"note": "请负责", "assignee": second_rep.pk})
    assert ok.status_code == 302
    assert Appeal.objects.get(pk=appeal.pk).assignee == second_rep


def test_the_api_reassigns(client, actors, file_appeal, second_rep):
    appeal = file_appeal()
    client.force_login(actors.town)
    url = f"/api/v1/appeals/{appeal.code}/actions/reassign"
    bad = client.post(
        url, {"note": "x", "assignee_id": actors.rep_b.pk}, content_type="application/json"
    )
    assert bad.status_code == 400 and bad.json()["code"] == "assignee_not_handler"
    ok = client.post(
        url, {"note": "请负责", "assignee_id": second_rep.pk}, content_type="application/json"
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["status"] == "claimed"
