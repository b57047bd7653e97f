"""Reads of duty records and compliance, scoped to what the user may see.

Who sees what is `policy` (representatives see their own; leaders and cadres see
the representatives of their subtree): every list here starts from its filters.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from linli.core.errors import NotFound
from linli.core.timeutil import today
from linli.org import selectors as org_selectors
from linli.org.models import Household, HouseholdLink, Representative, Unit

from . import compliance, policy
from .models import (
    CURRENT,
    AnnualReport,
    ContactLog,
    Deliberation,
    HomeVisit,
    HomeVisitPhoto,
    month_middle,
    month_of,
    week_of,
)
from .rules import rule_on


def my_representative(user) -> Representative | None:
    """The serving representative whose account this is, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Representative.objects.filter(user=user, term_end__isnull=True)
        .select_related("unit")
        .first()
    )


def representative_get(user, pk) -> Representative:
    return org_selectors.representative_get(user, pk)


def representative_for_entry(user, pk) -> Representative:
    """A representative whose records the user may keep from the pages: themself,
    or one in the scope of a leader or cadre with a write role over their unit
    (as the services allow). Anyone else: NotFound, as for one that does not exist."""
    rep = org_selectors.representative_get(user, pk)
    if policy.can_record_for(user, rep):
        return rep
    raise NotFound(_("Representative not found."))


def contacts_visible_to(user) -> QuerySet[ContactLog]:
    return policy.restrict(ContactLog.objects.all(), user).select_related(
        "household", "representative"
    )


def visits_visible_to(user) -> QuerySet[HomeVisit]:
    return policy.restrict(HomeVisit.objects.all(), user).select_related(
        "household", "representative"
    )


def reports_visible_to(user) -> QuerySet[AnnualReport]:
    return policy.restrict(AnnualReport.objects.all(), user).select_related("representative")


def deliberations_visible_to(user) -> QuerySet[Deliberation]:
    return (
        policy.restrict(Deliberation.objects.all(), user)
        .select_related("unit")
        .prefetch_related("organisers")
    )


def record_get(user, kind: str, pk) -> object:
    qs = {
        "contact": contacts_visible_to,
        "visit": visits_visible_to,
        "report": reports_visible_to,
        "deliberation": deliberations_visible_to,
    }.get(kind)
    record = qs(user).filter(pk=pk).first() if qs else None
    if record is None:
        raise NotFound(_("No such record."))
    return record


def visit_photo_get(user, pk) -> HomeVisitPhoto:
    """A home visit's photo, for whoever may see the visit (NotFound otherwise)."""
    photo = HomeVisitPhoto.objects.filter(pk=pk).first()
    if photo is None:
        raise NotFound(_("No such record."))
    record_get(user, "visit", photo.visit_id)
    return photo


def households_owed(representative: Representative, day: dt.date | None = None) -> dict:
    """What the representative still owes now: households not contacted this week,
    not visited this month (served on the period's reference day)."""
    day = day or today()
    week = week_of(day)
    month = month_middle(month_of(day))

    def served_on(ref: dt.date) -> QuerySet[Household]:
        links = HouseholdLink.objects.filter(
            org_selectors.link_on_q(ref), household=OuterRef("pk"), representative=representative
        )
        return Household.objects.filter(Exists(links))

    def logged(model, **period):
        return Coalesce(
            Subquery(
                model.objects.filter(
                    CURRENT, household=OuterRef("pk"), representative=representative, **period
                )
                .order_by()
                .values("household")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            0,
        )

    # The rules in force on the first day of the week and of the month.
    week_rule = rule_on(week - dt.timedelta(days=3))
    month_rule = rule_on(month.replace(day=1))
    contacts = logged(ContactLog, week=week)
    if week_rule.visit_counts_as_contact:
        contacts = contacts + logged(HomeVisit, week=week)
    to_contact = (
        served_on(week)
        .annotate(done=contacts)
        .filter(done__lt=week_rule.contacts_per_week)
        .order_by("head_name", "pk")
    )
    to_visit = (
        served_on(month)
        .annotate(done=logged(HomeVisit, month=month))
        .filter(done__lt=month_rule.visits_per_month)
        .order_by("head_name", "pk")
    )
    return {"week": week, "month": month, "contacts": to_contact, "visits": to_visit}


def compliance_for(
    user,
    *,
    unit: Unit | None = None,
    representative: Representative | None = None,
    start: dt.date,
    end: dt.date,
):
    """Scoped entry point: one representative, or every representative of a unit's subtree."""
    if representative is not None:
        rep = org_selectors.representative_get(user, representative.pk)
        return compliance.compute([rep], start, end)
    unit = org_selectors.unit_get(user, unit.pk)
    scope_reps = policy.restrict(
        Representative.objects.filter(unit__path__startswith=unit.path), user
    ).select_related("unit", "member")
    if (
        scope_reps.count()
        == Representative.objects.filter(unit__path__startswith=unit.path).count()
    ):
        # The whole subtree is visible: let the engine select by path (no id list).
        return compliance.compute(None, start, end, unit=unit)
    return compliance.compute(list(scope_reps), start, end)
