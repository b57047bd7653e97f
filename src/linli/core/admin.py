"""Admin pieces every app uses, and the admin of the working-day calendar."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .calendar import calendar_warnings
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
