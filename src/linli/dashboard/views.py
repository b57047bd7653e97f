"""The home page, which differs by role: the first screen above every domain."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


@login_required
def home(request):
    return render(request, "dashboard/home.html", selectors.home_for(request.user).context())
