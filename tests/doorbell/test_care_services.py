"""The care register's rules, in the services: who may register, pair and set; every
refusal writes nothing (no row, no audit); pairing anew keeps the history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from linli.accounts.models import AuditAction, AuditLog
from linli.core.errors import Conflict, Forbidden, InvalidInput
from linli.core.timeutil import today
from linli.doorbell import selectors, services
from linli.doorbell.models import (
    CareBackup,
    CarePairing,
    CareRecipient,
    DoorbellSettings,
    EmergencyContact,
)
from linli.org import services as org
from linli.org.models import Household, Member

from .care_support import People, audits

pytestmark = pytest.mark.django_db


@pytest.fixture
def p(county):
    return People(county)


def _nothing_written(fn, error=InvalidInput):
    before = (
        AuditLog.objects.count(),
        CareRecipient.objects.count(),
        CarePairing.objects.count(),
        CareBackup.objects.count(),
        EmergencyContact.objects.count(),
        DoorbellSettings.objects.count(),
    )
    with pytest.raises(error) as caught:
        fn()
    after = (
        AuditLog.objects.count(),
        CareRecipient.objects.count(),
        CarePairing.objects.count(),
        CareBackup.objects.count(),
        EmergencyContact.objects.count(),
        DoorbellSettings.objects.count(),
    )
    assert after == before
    return caught.value


# --- register, update, end ---------------------------------------------------------------


def test_register_an_elderly_person_tags_the_household_and_is_audited(p, county):
    household = county.households_a[1]
    assert "elderly_alone" not in household.tags
    r = p.register()
    assert (r.unit, r.household, r.kind, r.level, r.version) == (
        county.group_a,
        household,
        "elderly_alone",
        "close",
        1,
    )
    assert "elderly_alone" in Household.objects.get(pk=household.pk).tags
    log = AuditLog.objects.get(action=AuditAction.DOORBELL_CARE_REGISTER)
    assert log.detail["tagged"] is True and log.actor == p.village
    assert audits(AuditAction.HOUSEHOLD_UPDATE) == 1


def test_another_kind_leaves_the_tags_alone(p, county):
    p.register(kind="disabled")
    assert Household.objects.get(pk=county.households_a[1].pk).tags == []


def test_register_refusals_write_nothing(p, county):
    p.register()
    # Already in care.
    err = _nothing_written(
        lambda: services.recipient_register(actor=p.village, member=p.resident, kind="other")
    )
    assert err.code == "already_in_care" and "王奶奶" in err.message
    other = org.member_create(actor=p.su, household=county.households_a[2], name="李爷爷")
    # Another town's cadre; a representative; a leader (views, does not manage).
    for actor in (p.town_b, p.rep, p.neighbour):
        _nothing_written(
            lambda actor=actor: services.recipient_register(
                actor=actor, member=other, kind="other"
            ),
            Forbidden,
        )
    # A kind or level that does not exist; hostile notes.
    for kw in ({"kind": "vip"}, {"kind": "other", "level": "max"}):
        _nothing_written(
            lambda kw=kw: services.recipient_register(actor=p.village, member=other, **kw)
        )
    _nothing_written(
        lambda: services.recipient_register(
            actor=p.village, member=other, kind="other", health_notes="a\x00b"
        )
    )
    _nothing_written(
        lambda: services.recipient_register(
            actor=p.village, member=other, kind="other", health_notes="x" * 2001
        )
    )


def test_update_checks_the_version_and_who_may_change_health_notes(p):
    r = p.register()
    r = services.recipient_update(
        actor=p.village,
        recipient=r,
        version=1,
        kind="empty_nest",
        level="intensive",
        health_notes="糖尿病",
    )
    assert (r.kind, r.level, r.health_notes, r.version) == ("empty_nest", "intensive", "糖尿病", 2)
    # A stale version: 409, nothing written.
    err = _nothing_written(
        lambda: services.recipient_update(
            actor=p.village, recipient=r, version=1, kind="other", level="routine"
        ),
        Conflict,
    )
    assert err.code == "stale"
    # The town cadre manages the register but may not see (so not change) the notes.
    _nothing_written(
        lambda: services.recipient_update(
            actor=p.town, recipient=r, version=2, kind="other", level="routine", health_notes="改"
        ),
        Forbidden,
    )
    # Even the very text stored is refused (an answer by equality would reveal the notes).
    _nothing_written(
        lambda: services.recipient_update(
            actor=p.town,
            recipient=r,
            version=2,
            kind="other",
            level="routine",
            health_notes="糖尿病",
        ),
        Forbidden,
    )
    # Without notes (None), the town cadre changes kind and level; the notes stay.
    r = services.recipient_update(
        actor=p.town, recipient=r, version=2, kind="other", level="routine"
    )
    assert (r.kind, r.health_notes, r.version) == ("other", "糖尿病", 3)


def test_end_care_needs_a_reason_and_ends_the_pairing(p):
    r = p.paired()
    _nothing_written(lambda: services.recipient_end(actor=p.village, recipient=r, reason="  "))
    _nothing_written(
        lambda: services.recipient_end(actor=p.rep, recipient=r, reason="迁出"), Forbidden
    )
    r = services.recipient_end(actor=p.village, recipient=r, reason="随子女迁居长沙")
    assert not r.active and r.end_reason == "随子女迁居长沙"
    assert CarePairing.objects.get(recipient=r).ended_on == today()
    # Out of care: no more pairing, contacts or edits; registering anew is allowed.
    _nothing_written(
        lambda: services.pair(
            actor=p.village, recipient=r, primary=p.county.rep_a, visit_every_days=7
        )
    )
    again = p.register()
    assert again.pk != r.pk and again.active


# --- emergency contacts ------------------------------------------------------------------


def test_contacts_are_validated_ordered_and_encrypted(p):
    r = p.register()
    C = services.ContactSpec
    rows = services.contacts_set(
        actor=p.village,
        recipient=r,
        contacts=[C("王儿子", "儿子", "139 1234 0002"), C("王女儿", "女儿", "13912340003")],
    )
    assert [(c.order, c.name, c.phone) for c in rows] == [
        (1, "王儿子", "13912340002"),
        (2, "王女儿", "13912340003"),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM doorbell_emergencycontact")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored and not any("1391234" in s for s in stored)
    # A bad mobile, a duplicate, a missing name, too many: refused, the old ones stay.
    for contacts in (
        [C("甲", "", "12345")],
        [C("甲", "", "13912340002"), C("乙", "", "13912340002")],
        [C("", "", "13912340002")],
        [C(f"人{n}", "", f"1391234001{n}") for n in range(6)],
    ):
        err = _nothing_written(
            lambda contacts=contacts: services.contacts_set(
                actor=p.village, recipient=r, contacts=contacts
            )
        )
        assert err.message
    assert EmergencyContact.objects.filter(recipient=r).count() == 2
    services.contacts_set(actor=p.village, recipient=r, contacts=[])
    assert not EmergencyContact.objects.filter(recipient=r).exists()
    assert audits(AuditAction.DOORBELL_CONTACTS_SET) == 2


# --- pairing ----------------------------------------------------------------------------


def test_pairing_keeps_history_and_backups_in_order(p, county):
    r = p.paired()
    first = CarePairing.objects.get(recipient=r)
    backups = list(first.backups.order_by("order"))
    assert [(b.order, b.kind, b.user, b.name) for b in backups] == [
        (1, "neighbour", p.neighbour, p.neighbour.name),
        (2, "family", None, "王儿子"),
    ]
    assert backups[1].phone == "13912340002" and backups[1].phone_masked != "13912340002"
    second = services.pair(
        actor=p.village,
        recipient=r,
        primary=p.representative_c,
        visit_every_days=14,
        backups=[services.BackupSpec(kind="representative", user=p.rep)],
    )
    first.refresh_from_db()
    assert first.ended_on == today() and second.ended_on is None
    assert selectors.current_pairing(r) == second
    assert selectors.pairing_history(r) == [first]
    assert list(second.backups.values_list("user", flat=True)) == [p.rep.pk]
    services.pair_end(actor=p.village, recipient=r, reason="代表调整")
    assert selectors.current_pairing(r) is None
    _nothing_written(lambda: services.pair_end(actor=p.village, recipient=r))
    assert audits(AuditAction.DOORBELL_PAIR) == 2 and audits(AuditAction.DOORBELL_PAIR_END) == 1


def test_pairing_refusals_write_nothing(p, county):
    r = p.register()
    rep_a = county.rep_a
    B = services.BackupSpec
    # A representative of another village; one whose term has ended.
    _nothing_written(
        lambda: services.pair(
            actor=p.village, recipient=r, primary=county.rep_b, visit_every_days=7
        )
    )
    ended = org.representative_end_term(
        actor=p.su, representative=p.representative_c, term_end=today(), reason="任期届满"
    )
    assert ended.term_end is not None
    _nothing_written(
        lambda: services.pair(actor=p.village, recipient=r, primary=ended, visit_every_days=7)
    )
    for days in (0, 91, True, "7"):
        err = _nothing_written(
            lambda days=days: services.pair(
                actor=p.village, recipient=r, primary=rep_a, visit_every_days=days
            )
        )
        assert err.code == "out_of_range"
    bad_backups = (
        [B(kind="cadre", user=p.town)],  # no role inside the village
        [B(kind="cadre", user=p.neighbour)],  # in the village, but not its cadre
        [B(kind="representative", user=p.rep)],  # the primary's own account
        [B(kind="neighbour", user=p.neighbour), B(kind="guard", user=p.neighbour)],
        [B(kind="family", name="王儿子", phone="123")],
        [B(kind="family", name="", phone="13912340002")],
        [B(kind="vip", name="王", phone="13912340002")],
        [B(kind="family", name=f"人{n}", phone=f"1391234002{n}") for n in range(6)],
    )
    for backups in bad_backups:
        _nothing_written(
            lambda backups=backups: services.pair(
                actor=p.village, recipient=r, primary=rep_a, visit_every_days=7, backups=backups
            )
        )
    # Not a manager of the unit.
    for actor in (p.rep, p.town_b, p.neighbour):
        _nothing_written(
            lambda actor=actor: services.pair(
                actor=actor, recipient=r, primary=rep_a, visit_every_days=7
            ),
            Forbidden,
        )
    # The village cadre as a backup is fine.
    services.pair(
        actor=p.village,
        recipient=r,
        primary=rep_a,
        visit_every_days=7,
        backups=[B(kind="cadre", user=p.village)],
    )


# --- settings ---------------------------------------------------------------------------


def test_settings_ranges_and_the_cadre_on_duty(p, county):
    village = county.village_a
    for kw in (
        {"ack_minutes": 0},
        {"ack_minutes": 61},
        {"offline_minutes": 9},
        {"offline_minutes": 10081},
        {"battery_low": 4},
        {"battery_low": 91},
    ):
        values = {"ack_minutes": 3, "offline_minutes": 1440, "battery_low": 20, **kw}
        _nothing_written(
            lambda values=values: services.settings_set(actor=p.village, unit=village, **values)
        )
    # The town cadre is not a cadre of the village; another village's cadre is not either.
    for cadre in (p.town, p.village_b):
        _nothing_written(
            lambda cadre=cadre: services.settings_set(
                actor=p.town,
                unit=village,
                ack_minutes=3,
                offline_minutes=1440,
                battery_low=20,
                duty_cadre=cadre,
            )
        )
    _nothing_written(
        lambda: services.settings_set(
            actor=p.town_b, unit=village, ack_minutes=3, offline_minutes=1440, battery_low=20
        ),
        Forbidden,
    )
    services.settings_set(
        actor=p.town, unit=county.town_a, ack_minutes=5, offline_minutes=60, battery_low=30
    )
    # A group follows its town until its village has its own.
    assert selectors.settings_for(county.group_a).ack_minutes == 5
    services.settings_set(
        actor=p.village,
        unit=village,
        ack_minutes=2,
        offline_minutes=720,
        battery_low=15,
        duty_cadre=p.village,
    )
    got = selectors.settings_for(county.group_a)
    assert (got.ack_minutes, got.offline_minutes, got.battery_low, got.duty_cadre_id) == (
        2,
        720,
        15,
        p.village.pk,
    )
    assert got.source_unit_id == village.pk
    assert audits(AuditAction.DOORBELL_SETTINGS) == 2


def test_visit_due_is_counted_from_the_start_without_a_visit(p):
    r = p.paired()
    pairing = selectors.current_pairing(r)
    pairing.recipient = r
    (status,) = selectors.visit_statuses([pairing], on=today() + dt.timedelta(days=10))
    assert status.last_visit is None
    assert status.due_on == pairing.started_on + dt.timedelta(days=7)
    assert status.overdue_days == 3 and status.linked


def test_elderly_kinds_are_checked_for_age_and_living_alone(county):
    people = People(county)
    household = county.households_a[2]
    now = dt.date(2026, 6, 1)
    young = Member.objects.create(
        household=household, name="赵中年", birth_date=now.replace(year=now.year - 43)
    )
    old = Member.objects.create(
        household=household, name="赵奶奶", birth_date=now.replace(year=now.year - 80)
    )
    for kind in ("elderly_alone", "empty_nest"):
        with pytest.raises(InvalidInput) as refused:
            services.recipient_register(actor=people.village, member=young, kind=kind)
        assert refused.value.code == "too_young"
    with pytest.raises(InvalidInput) as refused:
        services.recipient_register(actor=people.village, member=old, kind="elderly_alone")
    assert refused.value.code == "not_alone"
    assert not CareRecipient.objects.exists()
    made = services.recipient_register(
        actor=people.village, member=old, kind="elderly_alone", confirm_alone=True
    )
    assert made.kind == "elderly_alone"
    # Other kinds are not about age or living alone.
    assert services.recipient_register(actor=people.village, member=young, kind="disabled")
