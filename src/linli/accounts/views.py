"""Log-in and the home page, which differs by role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from linli.accounts.models import RoleAssignment
from linli.accounts.scope import scope_for
from linli.appeals import selectors as appeal_selectors
from linli.org import selectors as org_selectors


@login_required
def home(request):
    scope = scope_for(request.user)
    assignments = (
        RoleAssignment.objects.filter(user=request.user)
        .select_related("unit")
        .order_by("unit__path")
    )
    roots = list(org_selectors.root_units_for(request.user)[:20])
    summary = org_selectors.home_summary(request.user)
    appeals = appeal_selectors.queue_summary(request.user)
    # Cadres and leaders land on the coverage of their own unit, child by child.
    coverage = None
    if scope.household_paths and len(roots) == 1:
        coverage = org_selectors.coverage_for(request.user, roots[0])
    return render(
        request,
        "accounts/home.html",
        {
            "scope": scope,
            "assignments": assignments,
            "roots": roots,
            "summary": summary,
            "coverage": coverage,
            "appeals": appeals,
        },
    )
