"""The writes on service days and activities: rules, permissions, sign-ups under a
limit, attendance, a held deliberation meeting in its organisers' compliance, and the
appeals an activity takes up."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from linli.accounts.models import AuditLog
from linli.activities import selectors, services
from linli.activities.models import (
    LAST,
    ActivityStatus,
    AppealOutcome,
    RuleKind,
    ServiceDayRule,
    Signup,
)
from linli.appeals import services as appeals_services
from linli.appeals.models import Status
from linli.core.crypto import blind_index
from linli.core.errors import Conflict, Forbidden, InvalidInput
from linli.core.timeutil import today
from linli.duties import compliance
from linli.duties.models import Deliberation
from tests.support import factories

from .conftest import RESIDENT, at, sent_code

pytestmark = pytest.mark.django_db


# --- the service day -----------------------------------------------------------------------


def test_a_village_follows_its_town_then_sets_its_own_and_history_is_kept(
    county, town_cadre, village_cadre
):
    services.service_day_set(
        actor=town_cadre, unit=county.town_a, kind=RuleKind.MONTH_DAY, month_day=10,
        effective_from=dt.date(2025, 1, 1),
    )  # fmt: skip
    first = selectors.coming_service_days(county.group_a, start=dt.date(2025, 1, 1), count=2)
    assert first == [dt.date(2025, 1, 10), dt.date(2025, 2, 10)]
    services.service_day_set(
        actor=village_cadre, unit=county.village_a, kind=RuleKind.WEEKDAY, nth=2, weekday=5,
        effective_from=dt.date(2025, 2, 1),
    )  # fmt: skip
    services.service_day_set(
        actor=village_cadre, unit=county.village_a, kind=RuleKind.MONTH_DAY, month_day=LAST,
        effective_from=dt.date(2025, 4, 1),
    )  # fmt: skip
    days = selectors.coming_service_days(county.village_a, start=dt.date(2025, 1, 1), count=5)
    assert days == [
        dt.date(2025, 1, 10),
        dt.date(2025, 2, 8),
        dt.date(2025, 3, 8),
        dt.date(2025, 4, 30),
        dt.date(2025, 5, 31),
    ]
    assert ServiceDayRule.objects.filter(unit=county.village_a).count() == 2
    assert AuditLog.objects.filter(action="activities.service_day_set").count() == 3
    # The other town keeps none.
    assert selectors.coming_service_days(county.village_b, start=dt.date(2025, 1, 1)) == []


def test_only_the_units_staff_set_its_service_day(county, village_cadre, rep_user, town_b_cadre):
    for actor, unit in (
        (village_cadre, county.town_a),  # a village cadre cannot set the town's
        (rep_user, county.village_a),
        (town_b_cadre, county.village_a),
    ):
        with pytest.raises(Forbidden):
            services.service_day_set(actor=actor, unit=unit, kind=RuleKind.MONTH_DAY, month_day=1)
    assert not ServiceDayRule.objects.exists()


@pytest.mark.parametrize(
    "kw",
    [
        {"kind": "month_day", "month_day": 29},
        {"kind": "month_day", "month_day": 0},
        {"kind": "month_day", "month_day": 10**30},
        {"kind": "weekday", "nth": 5, "weekday": 5},
        {"kind": "weekday", "nth": 1, "weekday": 7},
        {"kind": "weekday", "nth": "x", "weekday": 1},
        {"kind": "monthly"},
        {"kind": "month_day", "month_day": 1, "effective_from": dt.date(1, 1, 1)},
        {"kind": "month_day", "month_day": 1, "effective_from": "9999-12-31"},
    ],
)
def test_a_bad_rule_is_refused(county, village_cadre, kw):
    with pytest.raises(InvalidInput):
        services.service_day_set(actor=village_cadre, unit=county.village_a, **kw)


def test_a_town_cannot_follow(county, town_cadre):
    with pytest.raises(InvalidInput):
        services.service_day_set(actor=town_cadre, unit=county.town_a, kind=RuleKind.FOLLOW)


# --- activities ------------------------------------------------------------------------------


def test_on_service_day_defaults_to_whether_the_day_is_one(county, town_cadre, make_activity):
    day = today() + dt.timedelta(days=5)
    services.service_day_set(
        actor=town_cadre, unit=county.town_a, kind=RuleKind.MONTH_DAY,
        month_day=min(day.day, 28), effective_from=today(),
    )  # fmt: skip
    on = make_activity(starts_at=at(day.replace(day=min(day.day, 28))))
    off = make_activity(starts_at=at(day.replace(day=min(day.day, 28)) + dt.timedelta(days=1)))
    assert on.on_service_day and not off.on_service_day


def test_a_representative_plans_in_their_own_line_naming_themself(county, rep_user, make_activity):
    a = make_activity(actor=rep_user, unit=county.village_a, organisers=[county.rep_a])
    assert list(a.organisers.all()) == [county.rep_a]
    with pytest.raises(Forbidden):
        make_activity(actor=rep_user, unit=county.village_b, organisers=[county.rep_a])
    with pytest.raises(Forbidden):
        make_activity(actor=rep_user, organisers=[])


def test_organisers_must_serve_in_the_unit(county, make_activity):
    with pytest.raises(InvalidInput) as e:
        make_activity(organisers=[county.rep_b])
    assert e.value.code == "organiser_unit"


def test_strangers_cannot_manage(county, make_activity, town_b_cadre):
    a = make_activity()
    with pytest.raises(Forbidden):
        services.activity_cancel(actor=town_b_cadre, activity=a, reason="x")
    with pytest.raises(Forbidden):
        make_activity(actor=town_b_cadre)
    assert not selectors.activities_visible_to(town_b_cadre).filter(pk=a.pk).exists()


@pytest.mark.parametrize(
    "kw",
    [
        {"title": "清扫\x00村道"},
        {"title": ""},
        {"place": "x" * 201},
        {"capacity": 10**12},
        {"capacity": 0},
        {"starts_at": dt.datetime(1, 1, 1, 9)},
        {"starts_at": "9999-12-31T09:00:00"},
        {"starts_at": "not a time"},
        {"kind": "party"},
    ],
)
def test_hostile_input_is_refused(make_activity, kw):
    with pytest.raises(InvalidInput):
        make_activity(**kw)


def test_cancel_then_nothing_more(make_activity, village_cadre):
    a = make_activity()
    services.activity_cancel(actor=village_cadre, activity=a, reason="下雨")
    a.refresh_from_db()
    assert a.status == ActivityStatus.CANCELLED
    with pytest.raises(Conflict):
        services.activity_cancel(actor=village_cadre, activity=a, reason="again")
    with pytest.raises(Conflict):
        services.signup_by_account(actor=village_cadre, activity=a)


# --- sign-ups --------------------------------------------------------------------------------


def _code_signup(activity, phone=RESIDENT, name="王阿姨"):
    appeals_services.phone_code_request(phone=phone)
    return services.signup_by_phone(
        activity=activity, name=name, phone=phone, code=sent_code(phone)
    )


def test_a_resident_signs_up_with_a_code_and_the_mobile_is_encrypted(make_activity):
    a = make_activity()
    s = _code_signup(a)
    assert s.phone == RESIDENT and s.phone_hash == blind_index(RESIDENT)
    with connection.cursor() as cur:
        cur.execute("SELECT phone, phone_hash FROM activities_signup")
        raw = " ".join(str(v) for row in cur.fetchall() for v in row)
    assert raw and RESIDENT not in raw
    assert s.phone_masked != RESIDENT and s.phone_masked.endswith(RESIDENT[-4:])


def test_a_wrong_code_signs_nobody_up(make_activity):
    a = make_activity()
    appeals_services.phone_code_request(phone=RESIDENT)
    with pytest.raises(InvalidInput):
        services.signup_by_phone(activity=a, name="王", phone=RESIDENT, code="000000x")
    assert not Signup.objects.exists()


def test_the_same_mobile_or_account_cannot_sign_up_twice(make_activity, rep_user, clock_later):
    a = make_activity()
    _code_signup(a)
    clock_later()
    with pytest.raises(Conflict) as e:
        _code_signup(a)
    assert e.value.code == "already_signed_up"
    services.signup_by_account(actor=rep_user, activity=a)
    with pytest.raises(Conflict):
        services.signup_by_account(actor=rep_user, activity=a)
    assert selectors.signed_up_count(a) == 2


def test_capacity_is_enforced_and_a_cancelled_place_is_free_again(
    make_activity, rep_user, town_cadre
):
    a = make_activity(capacity=1)
    services.signup_by_account(actor=rep_user, activity=a)
    with pytest.raises(Conflict) as e:
        services.signup_by_account(actor=town_cadre, activity=a)
    assert e.value.code == "full"
    assert selectors.places_left(a) == 0
    services.signup_cancel(actor=rep_user, activity=a)
    services.signup_by_account(actor=town_cadre, activity=a)
    assert selectors.places_left(a) == 0


def test_a_resident_cancels_with_a_new_code(make_activity, clock_later):
    a = make_activity()
    _code_signup(a)
    clock_later()
    appeals_services.phone_code_request(phone=RESIDENT)
    services.signup_cancel_by_phone(activity=a, phone=RESIDENT, code=sent_code(RESIDENT))
    assert selectors.signed_up_count(a) == 0


def test_no_sign_up_after_the_start(make_activity, rep_user):
    a = make_activity(starts_at=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(Conflict):
        services.signup_by_account(actor=rep_user, activity=a)


def test_capacity_cannot_drop_below_the_sign_ups(make_activity, rep_user, village_cadre, county):
    a = make_activity(capacity=5)
    services.signup_by_account(actor=rep_user, activity=a)
    services.signup_by_account(actor=village_cadre, activity=a)
    with pytest.raises(InvalidInput):
        services.activity_update(
            actor=village_cadre, activity=a, kind=a.kind, title=a.title, place=a.place,
            starts_at=a.starts_at, capacity=1, organisers=[county.rep_a],
        )  # fmt: skip


# --- on the day: attendance, held, the deliberation record ------------------------------------


def _past_activity(make_activity, **kw):
    """An activity that started an hour ago (created before its start)."""
    return make_activity(starts_at=timezone.now() - dt.timedelta(hours=1), **kw)


def test_attendance_and_walk_ins(make_activity, rep_user, village_cadre, monkeypatch):
    a = make_activity(starts_at=timezone.now() + dt.timedelta(minutes=1))
    s = services.signup_by_account(actor=rep_user, activity=a)
    with pytest.raises(InvalidInput):  # walk-ins are counted, not guessed
        services.attendance_record(actor=village_cadre, activity=a, attended=[s.pk], walk_ins=-1)
    services.attendance_record(actor=village_cadre, activity=a, attended=[s.pk], walk_ins=4)
    a.refresh_from_db()
    assert selectors.attendance_count(a) == 5
    with pytest.raises(InvalidInput):
        services.attendance_record(actor=village_cadre, activity=a, attended=[10**6], walk_ins=0)
    with pytest.raises(InvalidInput):
        services.attendance_record(actor=village_cadre, activity=a, attended=[], walk_ins=10**20)


def test_attendance_is_not_taken_before_the_day(make_activity, village_cadre):
    a = make_activity(starts_at=timezone.now() + dt.timedelta(days=3))
    with pytest.raises(InvalidInput) as e:
        services.attendance_record(actor=village_cadre, activity=a, attended=[], walk_ins=3)
    assert e.value.code == "not_yet"


def test_a_held_deliberation_meeting_shows_in_its_organisers_quarterly_compliance(
    county, make_activity, rep_user
):
    a = _past_activity(make_activity, kind="deliberation", title="议事修路", actor=rep_user)
    start, end = _quarter(today())
    before = compliance.compute([county.rep_a], start, end)[county.rep_a.pk]
    assert before.duties["deliberations"].fulfilled == 0
    held = services.activity_hold(actor=rep_user, activity=a, outcome="决定修路", walk_ins=9)
    assert held.status == ActivityStatus.HELD
    record = Deliberation.objects.get(pk=held.deliberation_id)
    assert record.attendee_count == 9 and record.topic == "议事修路" and record.place == a.place
    assert list(record.organisers.all()) == [county.rep_a]
    assert record.day == timezone.localtime(a.starts_at).date()
    after = compliance.compute([county.rep_a], start, end)[county.rep_a.pk]
    assert after.duties["deliberations"].fulfilled == 1
    # One record, not a second model: held twice is refused.
    with pytest.raises(Conflict):
        services.activity_hold(actor=rep_user, activity=a, outcome="again", walk_ins=9)
    assert Deliberation.objects.count() == 1


def _quarter(day):
    first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    nxt = dt.date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def test_a_deliberation_meeting_without_an_organiser_or_attendee_is_not_held(
    county, make_activity, village_cadre
):
    nobody = _past_activity(make_activity, kind="deliberation")
    with pytest.raises(InvalidInput) as e:
        services.activity_hold(actor=village_cadre, activity=nobody, outcome="x")
    assert e.value.code == "attendee_count"
    alone = _past_activity(make_activity, kind="deliberation", organisers=[])
    with pytest.raises(InvalidInput) as e:
        services.activity_hold(actor=village_cadre, activity=alone, outcome="x", walk_ins=3)
    assert e.value.code == "organisers"
    assert not Deliberation.objects.exists()
    nobody.refresh_from_db()
    assert nobody.status == ActivityStatus.PLANNED


def test_other_kinds_are_held_without_a_deliberation_record(make_activity, village_cadre):
    a = _past_activity(make_activity)
    services.activity_hold(actor=village_cadre, activity=a, outcome="清扫完毕")
    a.refresh_from_db()
    assert a.status == ActivityStatus.HELD and a.deliberation_id is None
    assert not Deliberation.objects.exists()


# --- appeals taken up ---------------------------------------------------------------------------


def test_the_handler_resolves_the_appeal_at_the_activity(county, make_activity, rep_user):
    appeal = factories.appeal(county.households_a[1])
    appeals_services.appeal_act(actor=rep_user, appeal=appeal, action="claim")
    a = _past_activity(make_activity, actor=rep_user, appeals=[appeal])
    services.activity_hold(actor=rep_user, activity=a, outcome="路灯已修好")
    appeal.refresh_from_db()
    assert appeal.status == Status.RESOLVED and "路灯已修好" in appeal.result
    assert a.appeal_links.get().outcome == AppealOutcome.RESOLVED


def test_a_cadre_who_may_not_resolve_adds_a_note(county, make_activity, village_cadre, rep_user):
    appeal = factories.appeal(county.households_a[1])
    appeals_services.appeal_act(actor=rep_user, appeal=appeal, action="claim")
    a = _past_activity(make_activity, appeals=[appeal])
    services.activity_hold(actor=village_cadre, activity=a, outcome="现场答复")
    appeal.refresh_from_db()
    link = a.appeal_links.get()
    # The village cadre is above the neighbourhood level: a superior, who notes.
    assert link.outcome == AppealOutcome.NOTED
    assert appeal.status != Status.RESOLVED
    assert appeal.events.filter(action="note", note__contains="现场答复").exists()


def test_an_appeal_out_of_scope_cannot_be_linked(county, make_activity, village_cadre):
    other = factories.appeal(county.households_b[1])
    with pytest.raises(InvalidInput):
        make_activity(appeals=[other])
