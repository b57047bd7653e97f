"""Reminders before the end of each week and month.

From Friday noon (weeks) and three days before month end (months), every
representative with households still owed gets one reminder, and group and
village leaders one summary of who is behind. Idempotent: a `DutyReminder`
row per (period, recipient) is written in the same transaction as the
notification, so a second run sends nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import User
from linli.org.models import Representative, Unit

from . import compliance, policy
from .models import DutyReminder, month_middle, month_of, week_of


def _due_periods(now: dt.datetime) -> list[tuple[str, dt.date]]:
    local = timezone.localtime(now)
    day = local.date()
    out = []
    if day.weekday() > 4 or (day.weekday() == 4 and local.hour >= 12):
        out.append(("week", week_of(day)))
    nxt = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    if (nxt - day).days <= 3:
        out.append(("month", month_middle(month_of(day))))
    return out


def send_reminders(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    day = timezone.localdate(now)
    sent = {"representatives": 0, "leaders": 0}
    for kind, ref in _due_periods(now):
        duty = "contacts" if kind == "week" else "visits"
        first = ref - dt.timedelta(days=3) if kind == "week" else ref.replace(day=1)
        # One set-based computation per root unit, not a query per representative.
        owed: dict[int, tuple[Representative, int]] = {}
        for root in Unit.objects.filter(parent__isnull=True):
            for pk, rc in compliance.compute(None, first, max(day, ref), unit=root).items():
                n = rc.duties[duty].owed
                if n and rc.representative.user_id and rc.representative.term_end is None:
                    owed[pk] = (rc.representative, n)
        behind: dict[tuple[int, str], list[str]] = {}  # by unit (id, path)
        for rep, n in owed.values():
            behind.setdefault((rep.unit_id, rep.unit.path), []).append(f"{rep.name}({n})")
            title = (
                _("%(n)d households still to contact this week") % {"n": n}
                if kind == "week"
                else _("%(n)d households still to visit this month") % {"n": n}
            )
            user = User.objects.get(pk=rep.user_id)
            if _send_once(kind, ref, user, kind=f"duties.{kind}", title=title, url="/duties/"):
                sent["representatives"] += 1
        for (unit_id, unit_path), names in behind.items():
            leaders = User.objects.filter(policy.summary_recipients_q(unit_path)).distinct()
            for leader in leaders:
                if _send_once(
                    f"{kind}-summary-{unit_id}",
                    ref,
                    leader,
                    kind=f"duties.{kind}.summary",
                    title=_("Representatives behind on their duties: %(names)s")
                    % {"names": "、".join(names[:20])},
                    url="/duties/team/",
                ):
                    sent["leaders"] += 1
    return sent


def _send_once(marker: str, ref: dt.date, user, **message) -> bool:
    """Notify once per (kind, period, user): the marker and the outbox row commit together."""
    from linli.notify.services import notify_user

    with transaction.atomic():
        try:
            with transaction.atomic():
                DutyReminder.objects.create(kind=marker[:40], period=ref, user=user)
        except IntegrityError:
            return False
        notify_user(user=user, **message)
    return True
