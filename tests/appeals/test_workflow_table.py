"""Every action, from every status, by every kind of actor: what is not declared
is refused and changes nothing; what is declared succeeds.

The expected table is written out here by hand, independently of
`workflow.TABLE`, for a neighbourhood-level appeal assigned to rep_a.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from linli.appeals import services
from linli.appeals.models import Appeal, AppealEvent, Status
from linli.appeals.workflow import Action
from linli.core.errors import DomainError
from linli.notify.models import Outbox
from linli.org.models import Department
from tests.support.factories import RESIDENT_PHONE

pytestmark = pytest.mark.django_db

OPEN = {"pending", "claimed", "in_progress", "referred", "suspended"}
ACTIVE = {"pending", "claimed", "in_progress"}
WORKING = {"claimed", "in_progress"}

# capacity -> {status: actions allowed} for an ordinary appeal at neighbourhood level.
HANDLER = {
    "pending": {"claim", "note", "escalate", "merge"},
    "claimed": {"start", "note", "resolve", "escalate", "refer", "suspend", "merge"},
    "in_progress": {"note", "resolve", "escalate", "refer", "suspend", "merge"},
    "referred": {"note"},
    "suspended": {"note", "resume"},
    "resolved": {"rate"},
    "closed": {"reopen"},
    "merged": set(),
    "withdrawn": set(),
}
SUPERIOR = {s: ({"note", "supervise", "urge"} if s in OPEN else set()) for s in Status.values}
SUPERIOR["closed"] = {"reopen"}
DEPARTMENT = {s: ({"note", "answer"} if s == "referred" else set()) for s in Status.values}
RESIDENT = {s: ({"withdraw"} if s in OPEN else set()) for s in Status.values}
RESIDENT["resolved"] = {"rate"}
NOBODY = {s: set() for s in Status.values}

# actor name -> capacities table (department's only applies when referred to 住建局)
ACTORS = {
    "rep": HANDLER,
    "group_leader": HANDLER,
    "village": SUPERIOR,
    "town_b": NOBODY,
    "rep_b": NOBODY,
    "dept": DEPARTMENT,
    "other_dept": NOBODY,
    "resident": RESIDENT,
    "stranger": NOBODY,
}


def _put_in(appeal: Appeal, status: str, actors) -> None:
    """Move the appeal straight into a status, with the fields that status implies."""
    now = timezone.now()
    fields = {"status": status, "assignee": actors.rep if status != "pending" else None}
    if status == "referred":
        fields["department"] = Department.objects.get(name="住建局")
    if status == "suspended":
        fields.update(suspended_at=now, suspended_status="in_progress")
    if status in ("resolved", "closed"):
        fields.update(resolved_at=now, resolved_level="group", result="ok", visit_due_at=now)
    if status in ("closed", "merged", "withdrawn"):
        fields["closed_at"] = now
    Appeal.objects.filter(pk=appeal.pk).update(**fields)


def _snapshot(appeal: Appeal) -> tuple:
    row = Appeal.objects.get(pk=appeal.pk)
    return (
        model_to_dict(row),
        AppealEvent.objects.filter(appeal=appeal).count(),
        Outbox.objects.count(),
        row.photos.count(),
    )


class Rollback(Exception):
    pass


def _params(action: str, other: Appeal) -> dict:
    return {
        "note": "说明",
        "department": Department.objects.get(name="住建局"),
        "merge_into": other,
        "rating": 5,
        "party": {"name": "张三"},
    }


@pytest.mark.parametrize("status", Status.values)
def test_every_action_by_every_actor_from_every_status(status, actors, file_appeal):
    appeal = file_appeal()
    other = file_appeal(description="另一件诉求")
    _put_in(appeal, status, actors)
    users = {
        "rep": actors.rep,
        "group_leader": actors.group_leader,
        "village": actors.village,
        "town_b": actors.town_b,
        "rep_b": actors.rep_b,
        "dept": actors.dept,
        "other_dept": actors.other_dept,
        "resident": None,
        "stranger": None,
    }
    failures = []
    for name, table in ACTORS.items():
        expected = table[status]
        for action in [a.value for a in Action if a != Action.EXPIRE_VISIT]:
            before = _snapshot(appeal)
            kwargs = _params(action, other)
            actor = actors.fresh(users[name]) if users[name] else None
            phone = (
                RESIDENT_PHONE
                if name == "resident"
                else ("13900000009" if name == "stranger" else None)
            )
            try:
                with transaction.atomic():
                    services.appeal_act(
                        actor=actor,
                        appeal=Appeal.objects.get(pk=appeal.pk),
                        action=action,
                        resident_phone=phone,
                        **kwargs,
                    )
                    raise Rollback
            except Rollback:
                if action not in expected:
                    failures.append(f"{name} could {action} from {status}")
            except DomainError as exc:
                if action in expected:
                    failures.append(f"{name} could not {action} from {status}: {exc.code}")
                elif _snapshot(appeal) != before:
                    failures.append(f"{name} {action} from {status} was refused but changed data")
    assert failures == []


@pytest.mark.parametrize("action", ["party_add", "mediate", "agree"])
def test_dispute_actions_only_for_handlers_of_a_working_dispute(action, actors, file_appeal):
    from linli.appeals.models import Category

    appeal = file_appeal(category=Category.objects.get(code="land"), description="土地纠纷")
    params = {"note": "记录", "party": {"name": "张三"}}
    with pytest.raises(DomainError):  # pending: not yet claimed
        services.appeal_act(actor=actors.rep, appeal=appeal, action=action, **params)
    services.appeal_act(actor=actors.rep, appeal=appeal, action="claim")
    with pytest.raises(DomainError):
        services.appeal_act(
            actor=actors.fresh(actors.village), appeal=appeal, action=action, **params
        )
    services.appeal_act(actor=actors.rep, appeal=appeal, action=action, **params)


def test_unknown_action_is_refused(actors, file_appeal):
    appeal = file_appeal()
    with pytest.raises(DomainError) as e:
        services.appeal_act(actor=actors.rep, appeal=appeal, action="teleport")
    assert e.value.code == "unknown_action"
