"""The breach workflow: the confirm guard, who reviews, withdrawal, history, audit,
notifications, and the selector the incentives work reads."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.accounts.models import AuditLog
from linli.conduct import selectors, services
from linli.conduct.models import BreachEvent, BreachStage, EventKind
from linli.core.errors import Conflict, Forbidden, InvalidInput
from linli.notify.models import Notification, Outbox

pytestmark = pytest.mark.django_db


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


# --- the confirm guard --------------------------------------------------------------------


def test_confirm_before_statement_and_window_is_refused(report, actors, clock):
    breach = report()
    assert breach.respond_by == clock.today + dt.timedelta(days=7)
    clock.set(breach.respond_by)  # the last day of the window: still open
    with pytest.raises(Conflict) as exc:
        services.breach_confirm(actor=actors.town, breach=breach, reason="属实")
    assert exc.value.code == "breach_not_heard"
    assert "陈述" in str(exc.value.message) or "statement" in exc.value.message
    breach.refresh_from_db()
    assert breach.stage == BreachStage.REPORTED and breach.decided_at is None
    assert not BreachEvent.objects.filter(breach=breach, kind=EventKind.CONFIRMED).exists()


def test_confirm_after_the_statement_is_allowed(report, actors):
    breach = report()
    services.breach_statement(actor=actors.rep, breach=breach, text="我承认，已整改")
    services.breach_confirm(actor=actors.town, breach=breach, reason="属实，本人承认")
    breach.refresh_from_db()
    assert breach.stage == BreachStage.CONFIRMED
    assert breach.decided_by == actors.town
    assert breach.statement_by == actors.rep


def test_confirm_after_the_window_without_statement_is_allowed(report, actors, clock):
    breach = report()
    clock.set(breach.respond_by + dt.timedelta(days=1))
    services.breach_confirm(actor=actors.town, breach=breach, reason="逾期未陈述，经核实属实")
    breach.refresh_from_db()
    assert breach.stage == BreachStage.CONFIRMED
    event = breach.events.get(kind=EventKind.CONFIRMED)
    assert event.data == {"with_statement": False}


def test_dismiss_needs_no_statement(report, actors):
    breach = report()
    services.breach_dismiss(actor=actors.town, breach=breach, reason="查无实据")
    breach.refresh_from_db()
    assert breach.stage == BreachStage.DISMISSED


def test_a_reason_is_required(report, actors):
    breach = report()
    services.breach_statement(actor=actors.rep, breach=breach, text="说明")
    with pytest.raises(InvalidInput):
        services.breach_confirm(actor=actors.town, breach=breach, reason="  ")


def test_the_response_window_follows_the_setting(report, settings, clock):
    settings.LINLI = {**settings.LINLI, "CONDUCT_RESPONSE_DAYS": 3}
    breach = report()
    assert breach.response_days == 3
    assert breach.respond_by == clock.today + dt.timedelta(days=3)


# --- who does what --------------------------------------------------------------------------


def test_the_reporter_cannot_review(report, actors):
    breach = report(actor=actors.town)
    services.breach_statement(actor=actors.rep, breach=breach, text="说明")
    with pytest.raises(Forbidden) as exc:
        services.breach_confirm(actor=_fresh(actors.town), breach=breach, reason="属实")
    assert exc.value.code == "breach_reviewer_is_reporter"
    with pytest.raises(Forbidden):
        services.breach_dismiss(actor=_fresh(actors.town), breach=breach, reason="不属实")
    services.breach_confirm(actor=actors.city, breach=breach, reason="属实")


def test_a_village_cadre_cannot_review(report, actors):
    breach = report(actor=actors.town)
    services.breach_statement(actor=actors.rep, breach=breach, text="说明")
    with pytest.raises(Forbidden) as exc:
        services.breach_confirm(actor=actors.village, breach=breach, reason="属实")
    assert exc.value.code == "breach_review_scope"


def test_another_towns_staff_cannot_review_or_report(report, actors, county, catalogue):
    breach = report()
    with pytest.raises(Forbidden):
        services.breach_dismiss(actor=actors.town_b, breach=breach, reason="不属实")
    with pytest.raises(Forbidden):
        services.breach_report(
            actor=actors.town_b,
            representative=county.rep_a,
            entry=catalogue["FM-02"],
            description="越权举报",
            occurred_on=dt.date(2026, 3, 1),
        )


def test_a_representative_cannot_report(actors, county, catalogue, clock):
    with pytest.raises(Forbidden):
        services.breach_report(
            actor=actors.rep_b,
            representative=county.rep_b,
            entry=catalogue["FM-02"],
            description="自己举报自己",
            occurred_on=clock.today,
        )


def test_a_cadre_records_the_statement_and_who_wrote_it(report, actors):
    breach = report()
    services.breach_statement(actor=actors.group_leader, breach=breach, text="代表口述：已退回")
    breach.refresh_from_db()
    assert breach.stage == BreachStage.STATED
    assert breach.statement_by == actors.group_leader
    event = breach.events.get(kind=EventKind.STATEMENT)
    assert event.data == {"by_representative": False}


def test_the_reporter_cannot_write_the_statement(report, actors):
    """The accuser does not write the accused's defence (and so start the review)."""
    breach = report(actor=actors.village)
    with pytest.raises(Forbidden) as exc:
        services.breach_statement(actor=actors.village, breach=breach, text="—")
    assert exc.value.code == "breach_statement_scope"
    breach.refresh_from_db()
    assert breach.stage == BreachStage.REPORTED and breach.statement == ""
    assert "statement" not in selectors.actions_for(actors.village, breach)


def test_who_wrote_the_statement_for_the_representative_does_not_confirm(report, actors):
    """Town staff may write down what the representative said, but another reviewer
    decides: one person cannot open the hearing and close it a second later."""
    breach = report()
    services.breach_statement(actor=actors.town, breach=breach, text="代表口述：情况属实")
    breach.refresh_from_db()
    assert "confirm" not in selectors.actions_for(actors.town, breach)
    with pytest.raises(Forbidden) as exc:
        services.breach_confirm(actor=_fresh(actors.town), breach=breach, reason="属实")
    assert exc.value.code == "breach_reviewer_wrote_statement"
    services.breach_confirm(actor=actors.city, breach=breach, reason="属实")
    breach.refresh_from_db()
    assert breach.stage == BreachStage.CONFIRMED


def test_a_cadre_cannot_replace_the_representatives_own_statement(report, actors):
    breach = report()
    services.breach_statement(actor=actors.rep, breach=breach, text="我没有收钱，有证人")
    with pytest.raises(Forbidden) as exc:
        services.breach_statement(actor=actors.group_leader, breach=breach, text="代表承认了")
    assert exc.value.code == "breach_statement_scope"
    breach.refresh_from_db()
    assert breach.statement == "我没有收钱，有证人" and breach.statement_by == actors.rep
    # The representative may still add to their own.
    services.breach_statement(actor=actors.rep, breach=breach, text="补充：证人是邻居王某")
    breach.refresh_from_db()
    assert breach.statement == "补充：证人是邻居王某"


def test_another_representative_cannot_state(report, actors):
    breach = report()
    with pytest.raises(Forbidden):
        services.breach_statement(actor=actors.rep_b, breach=breach, text="不是我的")


def test_withdraw_by_the_reporter_only_and_before_review(report, actors):
    breach = report()
    with pytest.raises(Forbidden):
        services.breach_withdraw(actor=actors.town, breach=breach)
    services.breach_withdraw(actor=actors.village, breach=breach, reason="误报")
    breach.refresh_from_db()
    assert breach.stage == BreachStage.WITHDRAWN
    with pytest.raises(Conflict):
        services.breach_dismiss(actor=actors.town, breach=breach, reason="x")
    decided = report()
    services.breach_dismiss(actor=actors.town, breach=decided, reason="不属实")
    with pytest.raises(Conflict):
        services.breach_withdraw(actor=actors.village, breach=decided)


def test_an_entry_of_another_town_does_not_bind(actors, county, catalogue, clock):
    entry = services.entry_create(
        actor=actors.town_b, unit=county.town_b, code="YH-01", title="永和镇条目", severity="minor"
    )
    with pytest.raises(InvalidInput):
        services.breach_report(
            actor=actors.town,
            representative=county.rep_a,
            entry=entry,
            description="不适用",
            occurred_on=clock.today,
        )


def test_a_future_date_is_refused(report, clock):
    with pytest.raises(InvalidInput):
        report(occurred_on=clock.today + dt.timedelta(days=1))


# --- history, audit, notifications ----------------------------------------------------------


def test_every_step_is_in_the_history_and_audited(report, actors):
    breach = report()
    services.breach_statement(actor=actors.rep, breach=breach, text="说明")
    services.breach_confirm(actor=actors.town, breach=breach, reason="属实")
    kinds = list(breach.events.order_by("at", "id").values_list("kind", "actor_id"))
    assert kinds == [
        (EventKind.REPORTED, actors.village.pk),
        (EventKind.STATEMENT, actors.rep.pk),
        (EventKind.CONFIRMED, actors.town.pk),
    ]
    actions = list(
        AuditLog.objects.filter(target_type="conduct.breach", target_id=str(breach.pk))
        .order_by("seq", "id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "conduct.breach.report",
        "conduct.breach.statement",
        "conduct.breach.confirm",
    ]


def test_the_representative_is_told_when_reported_and_decided(
    report, actors, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        breach = report()
    assert Outbox.objects.filter(user=actors.rep, kind="conduct.reported").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.breach_dismiss(actor=actors.town, breach=breach, reason="不属实")
    assert Outbox.objects.filter(user=actors.rep, kind="conduct.decided").count() == 1
    # Delivered to the representative's in-app inbox, with a link to the record.
    inbox = Notification.objects.filter(user=actors.rep).order_by("id")
    assert [n.url for n in inbox] == [f"/conduct/breaches/{breach.pk}/"] * 2
    assert "2026-03-09" in inbox[0].title
    # Nobody else is told.
    assert not Outbox.objects.exclude(user=actors.rep).filter(kind__startswith="conduct.").exists()


# --- the incentives selector ------------------------------------------------------------------


def test_severe_confirmed_excludes_from_the_hundred_best(report, actors, county, clock):
    minor = report("FM-04")
    services.breach_statement(actor=actors.rep, breach=minor, text="说明")
    services.breach_confirm(actor=actors.town, breach=minor, reason="属实")
    minor.refresh_from_db()
    assert minor.decided_at is not None
    year = minor.decided_at.year
    assert not selectors.excluded_from_hundred_best(county.rep_a, year)
    severe = report("FM-01")
    services.breach_dismiss(actor=actors.town, breach=severe, reason="不属实")
    assert not selectors.excluded_from_hundred_best(county.rep_a, year)
    severe = report("FM-06")
    services.breach_statement(actor=actors.rep, breach=severe, text="说明")
    services.breach_confirm(actor=actors.town, breach=severe, reason="属实")
    assert selectors.severe_confirmed([county.rep_a.pk, county.rep_b.pk], year) == {county.rep_a.pk}
    assert selectors.excluded_from_hundred_best(county.rep_a, year)
    assert not selectors.excluded_from_hundred_best(county.rep_a, year - 1)


def test_the_representative_is_not_told_who_reported_them(report, actors, client):
    """No retaliation: the accused sees the record, not the reporter nor the resident."""
    breach = report(source="王某（村民）")
    client.force_login(actors.rep)
    response = client.get(f"/conduct/breaches/{breach.pk}/")
    page = response.content.decode()
    assert response.status_code == 200 and breach.description in page
    assert actors.village.name not in page and "王某" not in page and "上级干部" in page
    body = client.get(f"/api/v1/conduct/breaches/{breach.pk}").json()
    assert body["reported_by_name"] == "" and body["source"] == ""
    assert actors.village.name not in str(body)
    # The reviewer sees both.
    client.force_login(actors.town)
    body = client.get(f"/api/v1/conduct/breaches/{breach.pk}").json()
    assert body["reported_by_name"] == actors.village.name and body["source"] == "王某（村民）"
