"""The workflow table owns its effects: what a transition declares (audit row, notices,
the resident's SMS) is what happens, for every action; the tick goes through the same
checks; the documentation is the table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from linli.accounts.models import AuditLog
from linli.appeals import events, services
from linli.appeals.models import Appeal, Category, Level, Status
from linli.appeals.workflow import TABLE, Action, Cap, Notify, transitions_markdown
from linli.core.crypto import blind_index
from linli.core.docblocks import read_block
from linli.core.errors import DomainError
from linli.notify.models import Outbox

from .conftest import RESIDENT_PHONE
from .test_workflow_table import _put_in

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "appeals.md"


def test_the_documented_table_is_the_table():
    documented = read_block(DOCS.read_text(encoding="utf-8"), "transitions")
    assert documented == transitions_markdown(), "run: python scripts/docs_tables.py"


def test_every_action_has_exactly_one_handler():
    assert set(services.HANDLERS) == set(TABLE) == set(Action)


def _who(t, actors):
    """An actor holding one of the transition's capacities, and how to call with it."""
    if Cap.HANDLER in t.who:
        return {"actor": actors.fresh(actors.rep)}
    if Cap.SUPERIOR in t.who:
        return {"actor": actors.fresh(actors.village)}
    if Cap.DEPARTMENT in t.who:
        return {"actor": actors.fresh(actors.dept)}
    if Cap.RESIDENT in t.who:
        return {"actor": None, "resident_phone": RESIDENT_PHONE}
    return {"actor": None, "system": True}


@pytest.mark.parametrize("action", list(Action))
def test_declared_effects_happen_and_nothing_else(action, actors, file_appeal):
    t = TABLE[action]
    dispute = Category.objects.get(code="land")
    appeal = file_appeal(category=dispute) if t.disputes_only else file_appeal()
    other = file_appeal(description="另一件诉求")
    status = next(s for s in Status.values if s in t.sources)
    _put_in(appeal, status, actors)
    kwargs = _who(t, actors)
    if action == Action.RETURN:
        # Returned from the village to the group it came from.
        Appeal.objects.filter(pk=appeal.pk).update(
            level=Level.VILLAGE, unit=actors.county.village_a
        )
        kwargs = {"actor": actors.fresh(actors.village)}
    audits, sms, notices = (
        AuditLog.objects.count(),
        Outbox.objects.filter(channel="sms", address_hash=blind_index(RESIDENT_PHONE)).count(),
        Outbox.objects.filter(channel="inapp", kind=f"appeal.{action}").count(),
    )
    services.appeal_act(
        appeal=Appeal.objects.get(pk=appeal.pk),
        action=action,
        note="说明",
        department=_department(),
        merge_into=other,
        rating=5,
        party={"name": "张三"},
        assignee=actors.fresh(actors.rep),
        **kwargs,
    )
    assert AuditLog.objects.count() - audits == (1 if t.audited else 0)
    told = (
        Outbox.objects.filter(channel="sms", address_hash=blind_index(RESIDENT_PHONE)).count() - sms
    )
    assert told == (1 if t.tell_resident else 0)
    noticed = Outbox.objects.filter(channel="inapp", kind=f"appeal.{action}").count() - notices
    if t.notify in (Notify.HANDLERS, Notify.ASSIGNEE):
        assert noticed >= 1
    else:  # nobody, or handlers only if a rating reopened it (a 5 does not)
        assert noticed == 0
    assert Outbox.objects.filter(channel="webhook").count() == 0  # no hooks registered


def _department():
    from linli.org.models import Department

    return Department.objects.get(name="住建局")


def test_a_dissatisfied_rating_tells_the_handlers(actors, file_appeal):
    appeal = file_appeal()
    _put_in(appeal, Status.RESOLVED, actors)
    services.appeal_act(
        actor=None, resident_phone=RESIDENT_PHONE, appeal=appeal, action="rate", rating=2
    )
    appeal.refresh_from_db()
    assert appeal.status == Status.PENDING
    assert Outbox.objects.filter(channel="inapp", kind="appeal.rate", user=actors.rep).exists()
    event = appeal.events.get(action="rate")
    assert event.data == {
        **events.rated_data(rating=2, by_phone=False, reopened=True),
        "by": "resident",
    }


def test_the_tick_is_refused_what_the_table_does_not_declare(actors, file_appeal):
    """The tick applies transitions through the same check as people: the system
    capacity may escalate and expire a visit, nothing else."""
    appeal = file_appeal()
    version = appeal.version
    for action in Action:
        allowed_to_system = Cap.SYSTEM in TABLE[action].who
        if allowed_to_system:
            continue
        with pytest.raises(DomainError):
            services.appeal_act(
                actor=None, system=True, appeal=appeal, action=action, note="x", rating=5
            )
    appeal.refresh_from_db()
    assert appeal.status == Status.PENDING and appeal.version == version


def test_escalation_records_typed_move_data_that_a_return_reads_back(actors, file_appeal):
    appeal = file_appeal()
    services.appeal_act(actor=actors.rep, appeal=appeal, action="escalate", note="需要村里协调")
    appeal.refresh_from_db()
    event = appeal.events.get(action="escalate")
    assert event.data == events.moved_data(
        from_level=Level.GROUP,
        from_unit=actors.county.group_a,
        to_level=Level.VILLAGE,
        to_unit=actors.county.village_a,
    )
    assert events.escalated_from(appeal) == actors.county.group_a
    services.appeal_act(
        actor=actors.fresh(actors.village), appeal=appeal, action="return", note="组里能办"
    )
    appeal.refresh_from_db()
    assert (appeal.level, appeal.unit_id) == (Level.GROUP, actors.county.group_a.pk)


def test_the_tick_expires_a_return_visit_through_the_table(actors, file_appeal):
    appeal = file_appeal()
    _put_in(appeal, Status.RESOLVED, actors)
    done = services.appeals_tick(now=timezone.now() + dt.timedelta(days=30))
    appeal.refresh_from_db()
    assert done["visits_closed"] == 1 and appeal.status == Status.CLOSED
    event = appeal.events.get(action="expire_visit")
    assert event.data == {**events.visit_expired_data(), "by": "system"}
