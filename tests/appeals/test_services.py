"""Filing, routing and the handling flow, through the real services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from linli.appeals import selectors, services
from linli.appeals.models import Appeal, AppealEvent, Level, Status
from linli.core.crypto import blind_index
from linli.core.errors import Conflict, Forbidden, InvalidInput
from linli.notify.models import Outbox
from linli.org import services as org_services
from linli.org.models import Department, UnitKind
from tests.support.factories import RESIDENT_PHONE, png_bytes

pytestmark = pytest.mark.django_db


def _actions(appeal):
    return list(appeal.events.order_by("at", "id").values_list("action", flat=True))


def test_appeal_from_a_linked_household_goes_to_its_representative(actors, file_appeal):
    appeal = file_appeal()

    assert appeal.status == Status.PENDING
    assert appeal.level == Level.GROUP
    assert appeal.unit == actors.county.group_a
    assert appeal.representative == actors.county.rep_a
    assert appeal.claim_due_at and appeal.due_at and appeal.due_at > appeal.claim_due_at
    assert len(appeal.code) == 11
    assert _actions(appeal) == ["file"]
    # The representative is told in the app; the resident gets the case code by SMS.
    assert Outbox.objects.filter(user=actors.rep, channel="inapp", kind="appeal.new").exists()
    sms = Outbox.objects.get(channel="sms", address_hash=blind_index(RESIDENT_PHONE))
    assert appeal.code in sms.body


def test_resident_known_by_phone_is_routed_to_their_household(actors, manhole_category):
    county = actors.county
    org_services.member_create(
        actor=_su(),
        household=county.households_a[2],
        name="李小明",
        relation="child",
        phone="13811112222",
    )
    appeal = services.appeal_file(
        actor=None,
        category=manhole_category,
        description="路灯坏了",
        reporter_phone="13811112222",
    )
    assert appeal.household == county.households_a[2]
    assert appeal.representative == county.rep_a


def _su():
    from linli.accounts.models import User

    return User.objects.get(is_superuser=True)


def test_uncovered_household_goes_to_its_group_unassigned(actors, file_appeal):
    appeal = file_appeal(household=actors.county.households_a[6])
    assert appeal.level == Level.GROUP
    assert appeal.representative is None
    # Any representative of the group may claim it.
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    appeal.refresh_from_db()
    assert appeal.representative == actors.county.rep_a


def test_a_place_with_nobody_to_handle_it_lands_in_the_village_queue(actors, file_appeal):
    empty_group = org_services.unit_create(
        actor=_su(), parent=actors.county.village_a, kind=UnitKind.GROUP, name="空组"
    )
    appeal = file_appeal(household=None, unit=empty_group, address="空组村口")
    assert appeal.level == Level.VILLAGE
    assert appeal.unit == actors.county.village_a
    assert appeal.origin_unit == empty_group
    assert selectors.queue_for(actors.fresh(actors.village)).filter(pk=appeal.pk).exists()


def test_filing_refuses_bad_input_and_writes_nothing(actors, file_appeal, manhole_category):
    with pytest.raises(InvalidInput):
        file_appeal(description="   ")
    with pytest.raises(InvalidInput):
        file_appeal(reporter_phone="12345")
    with pytest.raises(InvalidInput):
        file_appeal(household=None, unit=None)
    with pytest.raises(InvalidInput) as e:
        file_appeal(category=manhole_category.parent)
    assert e.value.code == "category"
    assert Appeal.objects.count() == 0
    assert Outbox.objects.count() == 0


def test_the_manhole_story_from_report_to_rating(actors, file_appeal):
    """Given a villager's report, when every level does its part, then the
    timeline shows the whole story and the resident's rating closes it."""
    county = actors.county
    appeal = file_appeal()
    dept = Department.objects.get(name="住建局")

    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    services.appeal_act(
        actor=actors.rep,
        appeal=appeal,
        action="note",
        note="到现场查看，已设置警示杆",
        photos=[SimpleUploadedFile("pole.png", png_bytes(), content_type="image/png")],
    )
    services.appeal_act(
        actor=actors.rep, appeal=appeal, action="escalate", note="井盖需更换，超出代表能力"
    )
    appeal.refresh_from_db()
    assert (appeal.level, appeal.unit, appeal.status) == (
        Level.VILLAGE,
        county.village_a,
        Status.PENDING,
    )
    services.appeal_act(
        actor=actors.fresh(actors.village), appeal=appeal, action="escalate", note="需镇里协调"
    )
    appeal.refresh_from_db()
    assert (appeal.level, appeal.unit) == (Level.TOWN, county.town_a)
    town = actors.fresh(actors.town)
    services.appeal_act(actor=town, appeal=appeal, action="claim")
    services.appeal_act(
        actor=town, appeal=appeal, action="refer", note="请住建局更换井盖", department=dept
    )
    appeal.refresh_from_db()
    assert appeal.status == Status.REFERRED
    assert selectors.department_queue(actors.fresh(actors.dept)).filter(pk=appeal.pk).exists()
    assert (
        not selectors.appeals_visible_to(actors.fresh(actors.other_dept))
        .filter(pk=appeal.pk)
        .exists()
    )
    services.appeal_act(
        actor=actors.fresh(actors.dept), appeal=appeal, action="answer", note="已更换新井盖"
    )
    services.appeal_act(
        actor=town, appeal=appeal, action="resolve", note="住建局已更换井盖，隐患消除"
    )
    appeal.refresh_from_db()
    assert appeal.status == Status.RESOLVED
    assert appeal.resolved_level == Level.TOWN
    assert appeal.resolved_on_time is True
    services.appeal_act(
        actor=None,
        appeal=appeal,
        action="rate",
        rating=5,
        note="很及时",
        resident_phone=RESIDENT_PHONE,
    )
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED
    assert appeal.rating == 5
    assert _actions(appeal) == [
        "file",
        "claim",
        "note",
        "escalate",
        "escalate",
        "claim",
        "refer",
        "answer",
        "resolve",
        "rate",
    ]
    levels = list(appeal.events.order_by("at", "id").values_list("level", flat=True))
    assert levels == ["group"] * 4 + ["village"] + ["town"] * 5
    assert appeal.photos.count() == 1
    assert appeal.photos.get().event.action == "note"


def test_claim_by_second_person_is_refused_with_who_has_it(actors, file_appeal):
    appeal = file_appeal(household=actors.county.households_a[6])
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    with pytest.raises(Conflict) as e:
        services.appeal_act(actor=actors.group_leader, appeal=appeal, action="claim")
    assert e.value.code == "already_claimed"
    assert "辜大祥" in e.value.message


def test_stale_version_is_refused(actors, file_appeal):
    appeal = file_appeal()
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim", version=1)
    with pytest.raises(Conflict) as e:
        services.appeal_act(actor=actors.rep, appeal=appeal, action="start", version=1)
    assert e.value.code == "stale"


def test_dissatisfied_rating_reopens_at_the_same_level_with_a_new_deadline(actors, file_appeal):
    appeal = file_appeal()
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    services.appeal_act(actor=actors.rep, appeal=appeal, action="resolve", note="已处理")
    appeal.refresh_from_db()
    old_due = appeal.due_at
    services.appeal_act(
        actor=None,
        appeal=appeal,
        action="rate",
        rating=1,
        note="没修好",
        resident_phone=RESIDENT_PHONE,
    )
    appeal.refresh_from_db()
    assert appeal.status == Status.PENDING
    assert appeal.level == Level.GROUP
    assert appeal.due_at >= old_due
    assert appeal.assignee is None


def test_representative_records_a_phone_return_visit(actors, file_appeal):
    appeal = file_appeal()
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    services.appeal_act(actor=actors.rep, appeal=appeal, action="resolve", note="已处理")
    services.appeal_act(
        actor=actors.rep, appeal=appeal, action="rate", rating=4, note="电话回访满意"
    )
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED
    assert appeal.events.get(action="rate").data["by_phone"] is True


def test_suspend_stops_the_clock_and_resume_extends_the_deadline(actors, file_appeal):
    appeal = file_appeal()
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    services.appeal_act(actor=actors.rep, appeal=appeal, action="suspend", note="等待雨停施工")
    appeal.refresh_from_db()
    due = appeal.due_at
    Appeal.objects.filter(pk=appeal.pk).update(
        suspended_at=appeal.suspended_at - dt.timedelta(hours=5)
    )
    services.appeal_act(actor=actors.rep, appeal=appeal, action="resume", note="天晴了")
    appeal.refresh_from_db()
    assert appeal.status == Status.CLAIMED
    assert appeal.due_at - due >= dt.timedelta(hours=5)
    from linli.accounts.models import AuditLog

    assert AuditLog.objects.filter(action__in=["appeal.suspend", "appeal.resume"]).count() == 2


def test_return_sends_it_back_to_where_it_came_from(actors, file_appeal):
    appeal = file_appeal()
    services.appeal_act(actor=actors.rep, appeal=appeal, action="escalate", note="上报")
    services.appeal_act(
        actor=actors.fresh(actors.village), appeal=appeal, action="return", note="请代表先核实"
    )
    appeal.refresh_from_db()
    assert appeal.level == Level.GROUP
    assert appeal.unit == actors.county.group_a
    assert appeal.representative == actors.county.rep_a


def test_superiors_supervise_and_urge_but_cannot_handle(actors, file_appeal):
    appeal = file_appeal()
    town = actors.fresh(actors.town)
    services.appeal_act(actor=town, appeal=appeal, action="supervise", note="请加快处理")
    appeal.refresh_from_db()
    assert appeal.supervised
    assert Outbox.objects.filter(user=actors.rep, channel="inapp", kind="appeal.supervise").exists()
    with pytest.raises(Forbidden):
        services.appeal_act(actor=town, appeal=appeal, action="claim")


def test_merge_a_duplicate(actors, file_appeal):
    first = file_appeal()
    dup = file_appeal(description="井盖坏了，同一个地方")
    services.appeal_act(actor=actors.rep, appeal=dup, action="merge", note="重复", merge_into=first)
    dup.refresh_from_db()
    assert dup.status == Status.MERGED and dup.merged_into == first


def test_resident_withdraws(actors, file_appeal):
    appeal = file_appeal()
    with pytest.raises(Forbidden):
        services.appeal_act(
            actor=None, appeal=appeal, action="withdraw", resident_phone="13900000001"
        )
    services.appeal_act(actor=None, appeal=appeal, action="withdraw", resident_phone=RESIDENT_PHONE)
    appeal.refresh_from_db()
    assert appeal.status == Status.WITHDRAWN


def test_dispute_records_parties_mediation_and_agreement(actors, file_appeal):
    from linli.appeals.models import Category

    appeal = file_appeal(
        category=Category.objects.get(code="neighbour"), description="宅基地边界争执"
    )
    assert appeal.kind == "dispute"
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    services.appeal_act(
        actor=actors.rep,
        appeal=appeal,
        action="party_add",
        party={"name": "张三", "phone": "13800001111", "role": "申请人"},
    )
    services.appeal_act(
        actor=actors.rep, appeal=appeal, action="mediate", note="双方到场，初步同意重新丈量"
    )
    services.appeal_act(actor=actors.rep, appeal=appeal, action="agree", note="以原界桩为准")
    appeal.refresh_from_db()
    assert appeal.parties.get().name == "张三"
    assert appeal.mediations.count() == 1
    assert appeal.agreement == "以原界桩为准"


def test_dispute_actions_are_refused_on_ordinary_appeals(actors, file_appeal):
    appeal = file_appeal()
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    with pytest.raises(InvalidInput):
        services.appeal_act(actor=actors.rep, appeal=appeal, action="agree", note="x")


def test_scope_town_b_cannot_see_town_a_appeals(actors, file_appeal):
    appeal = file_appeal()
    assert (
        not selectors.appeals_visible_to(actors.fresh(actors.town_b)).filter(pk=appeal.pk).exists()
    )
    assert (
        not selectors.appeals_visible_to(actors.fresh(actors.rep_b)).filter(pk=appeal.pk).exists()
    )
    for user in (actors.rep, actors.group_leader, actors.village, actors.town, actors.city):
        assert selectors.appeals_visible_to(actors.fresh(user)).filter(pk=appeal.pk).exists()


def test_rates_count_each_outcome(actors, file_appeal):
    county = actors.county
    a = file_appeal()
    services.appeal_act(actor=actors.rep, appeal=a, action="claim")
    services.appeal_act(actor=actors.rep, appeal=a, action="resolve", note="ok")
    services.appeal_act(
        actor=None, appeal=a, action="rate", rating=5, resident_phone=RESIDENT_PHONE
    )
    b = file_appeal()
    services.appeal_act(actor=actors.rep, appeal=b, action="escalate", note="上报")
    v = actors.fresh(actors.village)
    services.appeal_act(actor=v, appeal=b, action="claim")
    services.appeal_act(actor=v, appeal=b, action="resolve", note="ok")
    services.appeal_act(
        actor=None, appeal=b, action="rate", rating=2, resident_phone=RESIDENT_PHONE
    )
    file_appeal()  # still open
    now = timezone.now()
    total, children = selectors.appeal_rates(
        actors.fresh(actors.city),
        county.city,
        now - dt.timedelta(days=1),
        now + dt.timedelta(days=1),
    )
    assert total.filed == 3
    assert total.resolved == 1  # b reopened after a poor rating
    # Every rating counts: a's 5 and b's 2 (b reopened), first and final alike.
    assert (total.ratings, total.rated) == (2, 2)
    assert total.first_satisfaction_rate == total.final_satisfaction_rate == 50.0
    assert total.satisfaction_rate == 50.0
    assert total.resolved_at_level["group"] == 1
    assert total.open == 2
    assert total.response_rate == pytest.approx(66.7)
    assert [c.unit for c in children] == [county.town_a]
    assert AppealEvent.objects.filter(appeal=b, action="rate").get().data["reopened"] is True


def test_a_representative_filing_for_a_household_they_serve_claims_it_in_the_same_step(
    actors, file_appeal
):
    """Defect 15: no second tap on 领办 after filing for one's own household; the
    timeline keeps both steps, and the filer is not told about their own appeal."""
    appeal = file_appeal(actor=actors.rep)
    appeal.refresh_from_db()
    assert appeal.channel == "representative"
    assert (appeal.status, appeal.assignee, appeal.representative) == (
        Status.CLAIMED,
        actors.rep,
        actors.county.rep_a,
    )
    assert appeal.first_claimed_at is not None and appeal.claim_due_at is None
    assert _actions(appeal) == ["file", "claim"]
    claim = appeal.events.get(action="claim")
    assert (claim.actor, claim.from_status, claim.to_status) == (actors.rep, "pending", "claimed")
    assert not Outbox.objects.filter(user=actors.rep, kind="appeal.new").exists()
    # Claiming again is refused as any second claim is.
    with pytest.raises(Conflict):
        services.appeal_act(actor=actors.fresh(actors.group_leader), appeal=appeal, action="claim")


def test_filing_for_a_household_someone_else_serves_leaves_it_to_be_claimed(actors, file_appeal):
    """A group leader (not the household's representative) files: it waits for a claim."""
    appeal = file_appeal(actor=actors.group_leader)
    assert appeal.status == Status.PENDING and appeal.assignee is None
    assert _actions(appeal) == ["file"]
    assert Outbox.objects.filter(user=actors.rep, channel="inapp", kind="appeal.new").exists()


def test_a_departments_answer_is_recorded_under_the_department(actors, file_appeal):
    """Defect 15: the answer's event names the department it was given for."""
    appeal = file_appeal()
    dept = Department.objects.get(name="住建局")
    town = actors.fresh(actors.town)
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    services.appeal_act(actor=actors.rep, appeal=appeal, action="escalate", note="需村里协调")
    services.appeal_act(
        actor=actors.fresh(actors.village), appeal=appeal, action="escalate", note="需镇里协调"
    )
    services.appeal_act(actor=town, appeal=appeal, action="claim")
    services.appeal_act(actor=town, appeal=appeal, action="refer", note="请更换", department=dept)
    services.appeal_act(
        actor=actors.fresh(actors.dept), appeal=appeal, action="note", note="已派人查看"
    )
    services.appeal_act(
        actor=actors.fresh(actors.dept), appeal=appeal, action="answer", note="已更换"
    )
    by_dept = {e.action: e.department for e in appeal.events.all() if e.department_id}
    assert by_dept == {"note": dept, "answer": dept}
    # The town's referral is the town's, though it names the department in its data.
    assert appeal.events.get(action="refer").department is None
