"""Every write on policy notices: publish, withdraw, record deliveries, and the two
ticks (tell the representatives of a new notice; remind them of an urgent one).

A notice is never edited once published: `notice_withdraw` takes it back with a reason,
a correction is a new notice. A delivery is recorded once per notice and household; a
phone or in-person delivery is also the week's contact (`duties.services.contact_log`,
role policy publicist), an online one (a WeChat group) is not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction, User
from linli.accounts.services import audit_record
from linli.core.errors import Conflict, Forbidden, InvalidInput
from linli.core.inputs import clean_text
from linli.core.timeutil import today
from linli.duties import services as duties_services
from linli.duties.models import CURRENT, ContactLog, ContactMethod, FiveRole
from linli.org.models import Household, Representative, Unit
from linli.org.selectors import current_links

from . import policy
from .models import Delivery, Notice, NoticeKind, NoticeReminder

# Deliveries that are also the week's contact with the household.
CONTACT_METHODS = (ContactMethod.PHONE, ContactMethod.IN_PERSON)
# The longest wait before an urgent notice's reminder: a week.
MAX_REMIND_HOURS = 24 * 7
# At most this many households in one bulk delivery.
MAX_BULK = 500
# Reminders are sent for urgent notices published at most this long ago.
REMIND_WINDOW = dt.timedelta(days=30)


def _refuse_unless(allowed: bool, message: str, code: str) -> None:
    if not allowed:
        raise Forbidden(message, code=code)


# --- publish, withdraw ------------------------------------------------------------------------


@transaction.atomic
def notice_publish(
    *,
    actor: User,
    unit: Unit,
    kind: str,
    title: str,
    body: str = "",
    urgent: bool = False,
    remind_after: int | None = None,
) -> Notice:
    """Publish a notice to the households of `unit`'s subtree. The representatives are
    told by the `notices.announce` tick, not here: a city has thousands of them."""
    _refuse_unless(
        policy.can_publish(actor, unit),
        _("You may publish notices only to a city, town or village of your scope."),
        "not_your_unit",
    )
    if kind not in NoticeKind.values:
        raise InvalidInput(_("Choose the kind of notice."), code="choice")
    title = clean_text(title, _("Title"), 200, required=True, multiline=False)
    body = clean_text(body, _("Text"), 5000)
    urgent = bool(urgent)
    if urgent:
        if remind_after in (None, ""):
            raise InvalidInput(
                _("Say after how many hours the representatives are reminded."),
                code="remind_after",
            )
        try:
            hours = int(remind_after)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            hours = -1
        if not 1 <= hours <= MAX_REMIND_HOURS:
            raise InvalidInput(
                _("Remind after 1 to %(n)d hours.") % {"n": MAX_REMIND_HOURS},
                code="remind_after",
            )
        remind: int | None = hours
    else:
        remind = None
    notice = Notice.objects.create(
        unit=unit,
        kind=kind,
        title=title,
        body=body,
        urgent=urgent,
        remind_after=remind,
        published_by=actor,
        published_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.NOTICE_PUBLISH,
        target=notice,
        detail={"unit": unit.pk, "kind": kind, "urgent": urgent, "remind_after": remind},
    )
    return notice


@transaction.atomic
def notice_withdraw(*, actor: User, notice: Notice, reason: str) -> Notice:
    """Take a notice back (published by mistake, superseded): no more deliveries or
    reminders; what was delivered stays recorded."""
    _refuse_unless(
        policy.can_withdraw(actor, notice),
        _("Only the cadres over the publishing unit may withdraw this notice."),
        "not_your_unit",
    )
    reason = clean_text(reason, _("Reason"), 500, required=True)
    locked = Notice.objects.select_for_update().get(pk=notice.pk)
    if locked.withdrawn_at is not None:
        raise Conflict(_("This notice was already withdrawn."), code="already_withdrawn")
    locked.withdrawn_at = timezone.now()
    locked.withdrawn_by = actor
    locked.withdraw_reason = reason
    locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    audit_record(
        actor=actor, action=AuditAction.NOTICE_WITHDRAW, target=locked, detail={"reason": reason}
    )
    notice.withdrawn_at, notice.withdrawn_by, notice.withdraw_reason = (
        locked.withdrawn_at,
        actor,
        reason,
    )
    return locked


# --- deliveries -------------------------------------------------------------------------------


@dataclass
class Recorded:
    delivery: Delivery
    created: bool


def _check_method(method: str) -> str:
    if method not in ContactMethod.values:
        raise InvalidInput(_("Choose how the notice was delivered."), code="choice")
    return method


def _open(notice: Notice) -> None:
    if Notice.objects.filter(pk=notice.pk, withdrawn_at__isnull=False).exists():
        raise Conflict(_("This notice was withdrawn."), code="notice_withdrawn")


def deliver_one(
    actor: User,
    notice: Notice,
    household: Household,
    method: str,
    representative: Representative | None,
) -> Recorded:
    """One household: checks, the contact (phone, in person), the delivery row.

    No audit row of its own: `delivery_record` and `delivery_bulk` write it, and the demo
    seeder calls this directly (the demo data is audited once, as a whole)."""
    if not household.unit.path.startswith(notice.unit.path):
        raise InvalidInput(
            _("The household of %(head)s is not among this notice's households.")
            % {"head": household.head_name},
            code="not_in_notice",
        )
    link = current_links().filter(household=household).select_related("representative").first()
    if link is None:
        raise InvalidInput(
            _("No representative serves the household of %(head)s.")
            % {"head": household.head_name},
            code="not_linked",
        )
    rep = link.representative
    if representative is not None and representative.pk != rep.pk:
        raise InvalidInput(
            _("%(rep)s does not serve the household of %(head)s.")
            % {"rep": representative.name, "head": household.head_name},
            code="not_linked",
        )
    _refuse_unless(
        policy.can_record_for(actor, rep),
        _("You may only record deliveries to your own households."),
        "not_your_record",
    )
    existing = Delivery.objects.filter(notice=notice, household=household).first()
    if existing is not None:
        return Recorded(existing, False)
    try:
        # A savepoint: a concurrent tap on the same household may win the insert; then
        # only this attempt (and the contact it wrote) is rolled back.
        with transaction.atomic():
            contact = _contact(actor, notice, rep, household, method)
            delivery = Delivery.objects.create(
                notice=notice,
                household=household,
                unit_id=household.unit_id,
                representative=rep,
                method=method,
                delivered_at=timezone.now(),
                recorded_by=actor,
                contact=contact,
            )
    except IntegrityError:
        existing = Delivery.objects.filter(notice=notice, household=household).first()
        if existing is None:
            raise
        return Recorded(existing, False)
    return Recorded(delivery, True)


def _contact(
    actor: User, notice: Notice, rep: Representative, household: Household, method: str
) -> ContactLog | None:
    """The week's contact this delivery counts as: today's publicist contact with the
    household if one is recorded already (two notices on one visit are one contact),
    else a new one through the duties service. None for an online delivery."""
    if method not in CONTACT_METHODS:
        return None
    day = today()
    same = ContactLog.objects.filter(
        CURRENT, representative=rep, household=household, day=day, role=FiveRole.PUBLICIST
    ).first()
    if same is not None:
        return same
    return duties_services.contact_log(
        actor=actor,
        representative=rep,
        household=household,
        method=method,  # dated today by the duties service
        role=FiveRole.PUBLICIST,
        note=(_("Policy notice: %(title)s") % {"title": notice.title})[:500],
    )


@transaction.atomic
def delivery_record(
    *,
    actor: User,
    notice: Notice,
    household: Household,
    method: str,
    representative: Representative | None = None,
) -> Recorded:
    """Record that a household was reached with the notice. Recorded once: a second
    tap answers the delivery already recorded (`created` False) and writes nothing."""
    method = _check_method(method)
    _open(notice)
    result = deliver_one(actor, notice, household, method, representative)
    if result.created:
        audit_record(
            actor=actor,
            action=AuditAction.NOTICE_DELIVER,
            target=notice,
            detail={"households": [household.pk], "method": method},
        )
    return result


@transaction.atomic
def deliveries_record(
    *,
    actor: User,
    notice: Notice,
    households: Iterable[Household],
    method: str = ContactMethod.ONLINE,
    representative: Representative | None = None,
) -> list[Recorded]:
    """Record several households at once (e.g. "these were reached in the WeChat group"),
    all or none; one audit row."""
    method = _check_method(method)
    households = list(households)
    if not households:
        raise InvalidInput(_("Choose at least one household."), code="households")
    if len(households) > MAX_BULK:
        raise InvalidInput(
            _("At most %(n)d households at once.") % {"n": MAX_BULK}, code="households"
        )
    _open(notice)
    out = [deliver_one(actor, notice, h, method, representative) for h in households]
    created = [r.delivery.household_id for r in out if r.created]
    if created:
        audit_record(
            actor=actor,
            action=AuditAction.NOTICE_DELIVER,
            target=notice,
            detail={"households": created, "method": method},
        )
    return out


# --- the ticks --------------------------------------------------------------------------------


def _notice_url(notice: Notice) -> str:
    return reverse("notices:detail", args=[notice.pk])


def _serving_users(notice: Notice):
    """The accounts of the representatives serving in the notice's subtree now."""
    reps = Representative.objects.filter(
        term_end__isnull=True, user__isnull=False, unit__path__startswith=notice.unit.path
    ).values("user_id")
    return User.objects.filter(pk__in=reps, is_active=True).order_by("pk")


def notices_announce(*, now: dt.datetime | None = None, limit: int = 20) -> dict[str, int]:
    """Tell the representatives of each new notice's subtree (one in-app notification
    each), once: the notice row is locked and marked in the same transaction as the
    outbox rows, so a second tick at the same time skips it."""
    from linli.notify.services import notify_users

    now = now or timezone.now()
    out = {"notices": 0, "representatives": 0}
    due = list(
        Notice.objects.filter(announced_at__isnull=True, published_at__lte=now)
        .order_by("published_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        with transaction.atomic():
            notice = (
                Notice.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, announced_at__isnull=True)
                .select_related("unit")
                .first()
            )
            if notice is None:
                continue
            if notice.withdrawn_at is None:
                users = list(_serving_users(notice))
                prefix = _("Urgent notice") if notice.urgent else _("New notice")
                notify_users(
                    users=users,
                    kind="notices.published",
                    title=f"{prefix}: {notice.title}"[:200],
                    body=notice.unit.name,
                    url=_notice_url(notice),
                    data={"notice": notice.pk},
                )
                out["notices"] += 1
                out["representatives"] += len(users)
            Notice.objects.filter(pk=pk).update(announced_at=now)
    return out


def notice_reminders(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Once `remind_after` hours have passed on an urgent notice, remind each serving
    representative who still has households of its subtree to reach: one in-app
    notification and one SMS, exactly once per notice and representative (the notice row
    is locked for the pass and each reminder leaves a `NoticeReminder` row, unique)."""
    from linli.notify.services import notify_users

    now = now or timezone.now()
    out = {"notices": 0, "representatives": 0}
    candidates = Notice.objects.filter(
        urgent=True,
        reminded_at__isnull=True,
        withdrawn_at__isnull=True,
        remind_after__isnull=False,
        published_at__gte=now - REMIND_WINDOW,
    ).order_by("published_at", "pk")
    for candidate in candidates:
        if candidate.remind_at is None or candidate.remind_at > now:
            continue
        with transaction.atomic():
            notice = (
                Notice.objects.select_for_update(skip_locked=True)
                .filter(pk=candidate.pk, reminded_at__isnull=True, withdrawn_at__isnull=True)
                .select_related("unit")
                .first()
            )
            if notice is None:
                continue
            delivered = Delivery.objects.filter(notice=notice, household=OuterRef("household_id"))
            behind = dict(
                current_links()
                .filter(
                    household__unit__path__startswith=notice.unit.path,
                    representative__term_end__isnull=True,
                    representative__user__isnull=False,
                )
                .filter(~Exists(delivered))
                .values_list("representative_id")
                .annotate(n=Count("pk"))
                .order_by()
            )
            done = set(
                NoticeReminder.objects.filter(notice=notice).values_list(
                    "representative_id", flat=True
                )
            )
            todo = {rep: n for rep, n in behind.items() if rep not in done}
            NoticeReminder.objects.bulk_create(
                NoticeReminder(notice=notice, representative_id=rep, unreached=n, sent_at=now)
                for rep, n in todo.items()
            )
            # One bulk insert per count of households left (the title says it), not
            # one per representative: a town has a thousand or more.
            by_count: dict[int, list[User]] = {}
            reps = Representative.objects.filter(pk__in=todo).select_related("user")
            for rep in reps:
                if rep.user is not None and rep.user.is_active:
                    by_count.setdefault(todo[rep.pk], []).append(rep.user)
            for n, users in sorted(by_count.items()):
                notify_users(
                    users=users,
                    kind="notices.reminder",
                    title=(
                        _("Urgent notice: %(n)d households still to reach: %(title)s")
                        % {"n": n, "title": notice.title}
                    )[:200],
                    url=_notice_url(notice),
                    data={"notice": notice.pk},
                    channels=("inapp", "sms"),
                )
                out["representatives"] += len(users)
            Notice.objects.filter(pk=notice.pk).update(reminded_at=now)
            out["notices"] += 1
    return out
