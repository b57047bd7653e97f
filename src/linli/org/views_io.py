"""Import and export pages (filled in by the import/export work)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render


@login_required
def import_page(request):
    return render(request, "org/import.html", {})


@login_required
def import_template(request, kind: str, fmt: str):
    raise Http404


@login_required
def export(request, kind: str):
    raise Http404
