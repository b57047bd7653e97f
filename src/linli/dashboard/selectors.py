"""The home page's reads, assembled from the scoped selectors of the domains below."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from linli.accounts.models import RoleAssignment
from linli.accounts.scope import Scope, scope_for
from linli.appeals import selectors as appeal_selectors
from linli.org import selectors as org_selectors
from linli.org.models import Unit
from linli.org.selectors import Coverage, HomeSummary

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
