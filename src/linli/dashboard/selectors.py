"""The home page's reads, assembled from the scoped selectors of the domains below."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from linli.accounts.models import RoleAssignment
from linli.accounts.scope import Scope, scope_for
from linli.appeals import selectors as appeal_selectors
from linli.org import selectors as org_selectors
from linli.org.models import Unit
from linli.org.selectors import Coverage, HomeSummary

from .models import UnitReport

ROOTS_SHOWN = 20


@dataclass
class Home:
    scope: Scope
    assignments: QuerySet[RoleAssignment]
    roots: list[Unit]
    summary: HomeSummary
    appeals: dict[str, int]
    # Cadres and leaders with one root unit land on its coverage, child by child.
    coverage: Coverage | None

    def context(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "assignments": self.assignments,
            "roots": self.roots,
            "summary": self.summary,
            "coverage": self.coverage,
            "appeals": self.appeals,
        }


def home_for(user) -> Home:
    """What the user's home page shows, each part read through its domain's scope."""
    scope = scope_for(user)
    roots = list(org_selectors.root_units_for(user)[:ROOTS_SHOWN])
    coverage = None
    if scope.household_paths and len(roots) == 1:
        coverage = org_selectors.coverage_for(user, roots[0])
    return Home(
        scope=scope,
        assignments=RoleAssignment.objects.filter(user=user)
        .select_related("unit")
        .order_by("unit__path"),
        roots=roots,
        summary=org_selectors.home_summary(user),
        appeals=appeal_selectors.queue_summary(user),
        coverage=coverage,
    )


# --- the units' reports ------------------------------------------------------------------


def report_units(user) -> QuerySet[Unit]:
    """The units whose reports the user may read and make: those where they hold a
    household role, and the units below (a county or town leader, a village cadre)."""
    from linli.accounts.scope import HOUSEHOLD_ROLES

    scope = scope_for(user)
    return Unit.objects.filter(scope.path_q("path", scope.paths_for(set(HOUSEHOLD_ROLES))))


def _reports(user) -> QuerySet[UnitReport]:
    from linli.accounts.scope import HOUSEHOLD_ROLES

    if user is None or not getattr(user, "is_authenticated", False):
        return UnitReport.objects.none()
    scope = scope_for(user)
    return UnitReport.objects.filter(
        scope.path_q("unit__path", scope.paths_for(set(HOUSEHOLD_ROLES)))
    ).select_related("unit", "generated_by")


def reports_visible_to(user) -> QuerySet[UnitReport]:
    """The reports of the user's units, newest period first (without their files)."""
    return _reports(user).defer("xlsx", "pdf", "numbers")


def report_get(user, pk: int) -> UnitReport:
    """One report, files included; NotFound outside the user's units."""
    from linli.core.errors import NotFound

    report = _reports(user).filter(pk=pk).first()
    if report is None:
        raise NotFound(_("Report not found."))
    return report


def report_unit_get(user, pk: int) -> Unit:
    from linli.core.errors import NotFound

    unit = report_units(user).filter(pk=pk).first()
    if unit is None:
        raise NotFound(_("Unit not found."))
    return unit
