"""Import and export pages: upload a file, download templates, export the lists to Excel."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.accounts.access import roles_required
from linli.accounts.scope import ORG_WRITE_ROLES, scope_for
from linli.core.errors import NotFound
from linli.core.timeutil import today

from . import exports, imports

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# How many errors the page lists (all of them are in the downloadable report).
ERRORS_SHOWN = 500
ERRORS_KEPT = 20_000
SESSION_KEY = "linli_import_errors"


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What to import"),
        choices=[(k, spec.label) for k, spec in imports.KINDS.items()],
    )
    file = forms.FileField(
        label=gettext_lazy("File (.xlsx or .csv)"),
        # An empty file is refused by the import, as not a spreadsheet, like any other.
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    # RFC 5987: an ASCII fallback plus filename*=UTF-8'' for the Chinese name.
    header = content_disposition_header(True, filename)
    response["Content-Disposition"] = header or f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _error_report(request) -> HttpResponse:
    stored = request.session.get(SESSION_KEY)
    if not stored:
        raise Http404
    data = imports.errors_xlsx(stored["errors"])
    response = HttpResponse(data, content_type=XLSX_TYPE)
    return _attachment(response, f"导入错误_{stored['kind']}_{today().isoformat()}.xlsx")


@roles_required(ORG_WRITE_ROLES)
def import_page(request):
    if request.GET.get("report") == "errors":
        return _error_report(request)
    scope = scope_for(request.user)
    can_import = bool(scope.is_superuser or scope.paths_for(ORG_WRITE_ROLES))
    result = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if not can_import:
            form.add_error(None, _("You may not import data."))
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > imports.IMPORT_MAX_BYTES:
                form.add_error(
                    "file",
                    _("The file is larger than %(n)d MB.") % {"n": imports.IMPORT_MAX_BYTES >> 20},
                )
            else:
                result = imports.import_file(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    data=upload.read(),
                    filename=upload.name,
                )
                if result.file_problem:
                    # Not a spreadsheet at all: said beside the file field, no row report.
                    form.add_error("file", result.file_problem)
                    result = None
                elif result.errors:
                    request.session[SESSION_KEY] = {
                        "kind": result.kind,
                        "errors": [
                            {"row": e.row, "column": e.column, "message": e.message}
                            for e in result.errors[:ERRORS_KEPT]
                        ],
                    }
                else:
                    request.session.pop(SESSION_KEY, None)
    else:
        form = ImportForm(initial={"kind": request.GET.get("kind", "households")})
    status = 400 if (result is not None and result.errors) or form.errors else 200
    return render(
        request,
        "org/import.html",
        {
            "form": form,
            "result": result,
            "errors_shown": result.errors[:ERRORS_SHOWN] if result else [],
            "kinds": list(imports.KINDS.values()),
            "export_kinds": [(k, label) for k, (_name, label) in exports.EXPORT_KINDS.items()],
            "can_import": can_import,
            "max_rows": settings.LINLI["IMPORT_MAX_ROWS"],
        },
        status=status,
    )


@login_required
def import_template(request, kind: str, fmt: str):
    spec = imports.KINDS.get(kind)
    if spec is None or fmt not in ("xlsx", "csv"):
        raise Http404
    name = f"导入模板_{exports.EXPORT_KINDS[kind][0]}.{fmt}"
    if fmt == "xlsx":
        response = HttpResponse(imports.template_xlsx(kind, request.user), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(
            imports.template_csv(kind, request.user), content_type="text/csv; charset=utf-8"
        )
    return _attachment(response, name)


@login_required
def export(request, kind: str):
    if kind not in exports.EXPORT_KINDS:
        raise Http404
    try:
        result = exports.export_xlsx(user=request.user, kind=kind, params=request.GET)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=XLSX_TYPE
    )
