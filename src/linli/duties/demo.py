"""Demo duty records for the `small` demo county, made through the services:
the demo representative has contacted some of their households this week and
visited some this month, so their page shows work done and work owed."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from linli.accounts.models import User
from linli.core.timeutil import today
from linli.org.models import Representative
from linli.org.selectors import current_links

from . import services
from .models import ContactLog, FiveRole


def seed(progress=print) -> int:
    if ContactLog.objects.exists():
        return 0
    user = User.objects.filter(phone="13800000007").first()
    rep = Representative.objects.filter(user=user, term_end__isnull=True).first() if user else None
    if user is None or rep is None:
        progress("demo duties: the demo representative is missing; skipped")
        return 0
    households = [
        link.household
        for link in current_links()
        .filter(representative=rep)
        .select_related("household")
        .order_by("household_id")
    ]
    now = today()
    monday = now - dt.timedelta(days=now.weekday())
    made = 0
    with transaction.atomic():
        for i, h in enumerate(households[: len(households) // 2]):
            day = max(monday, now - dt.timedelta(days=i % 3))
            services.contact_log(
                actor=user, representative=rep, household=h, day=day, method="phone",
                role=FiveRole.LIAISON, note="电话问候，家中一切正常",
            )  # fmt: skip
            made += 1
        for h in households[:2]:
            services.visit_log(
                actor=user, representative=rep, household=h, day=now, role=FiveRole.SAFETY,
                met="户主", findings="检查了用电用气安全", needs="", risks="",
            )  # fmt: skip
            made += 1
    progress(f"demo duties: {made} contacts and visits")
    return made
