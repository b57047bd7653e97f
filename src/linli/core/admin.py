"""Admin pieces every app uses, and the admin of the working-day calendar."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .calendar import calendar_warnings
from .errors import DomainError
from .models import CalendarDay, CalendarYear

if TYPE_CHECKING:
    # django-stubs makes ModelAdmin generic; at run time it is not subscriptable.
    _AnyAdmin = admin.ModelAdmin[Any]
    _CalendarDayAdmin = admin.ModelAdmin[CalendarDay]
    _CalendarYearAdmin = admin.ModelAdmin[CalendarYear]
else:
    _AnyAdmin = object
    _CalendarDayAdmin = _CalendarYearAdmin = admin.ModelAdmin


class ReadOnlyAdminMixin:
    """For rows written only by services (audit log, link history): view, never edit."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def adopt(obj: Any, saved: Any) -> None:
    """Make the admin's unsaved `obj` stand for the row a service saved (pk, fields, state)."""
    for f in saved._meta.concrete_fields:
        setattr(obj, f.attname, getattr(saved, f.attname))
    obj._state = saved._state


class ServiceAdminMixin(_AnyAdmin):
    """Admin whose writes call the app's services instead of saving the form.

    Subclasses implement `save_model` (and `save_formset`, `delete_model`) with
    service calls, and refuse what no service does through the `has_*_permission`
    methods. A domain error from a service rolls the whole save back and the form
    is shown again, the input kept, with the service's message as a form error.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            # The admin saves inside a transaction, so nothing of the failed save remains.
            # Validate the same POST again; this time the form carries the error.
            request._linli_service_error = exc  # type: ignore[attr-defined]
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        error: DomainError | None = getattr(request, "_linli_service_error", None)
        if error is None:
            return form

        class ServiceErrorForm(form):  # type: ignore[valid-type, misc]
            def clean(self) -> dict[str, Any] | None:
                super().clean()
                assert error is not None
                raise ValidationError(error.message, code=error.code)

        return ServiceErrorForm

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def response_action(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        try:
            with transaction.atomic():
                return super().response_action(request, queryset)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


# --- the working-day calendar -------------------------------------------------


class CalendarWarningsMixin(_AnyAdmin):
    """Show `calendar_warnings()` (a missing holiday schedule) above the list."""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "GET":
            for text in calendar_warnings():
                messages.warning(request, text)
        return super().changelist_view(request, extra_context)


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarWarningsMixin, _CalendarDayAdmin):
    list_display = ["date", "weekday", "is_workday", "name", "updated_at"]
    list_editable = ["is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["name"]
    ordering = ["-date"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return date_format(obj.date, "l")


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarWarningsMixin, _CalendarYearAdmin):
    list_display = ["year", "source", "loaded_at"]
    list_filter = ["source"]
    ordering = ["-year"]
