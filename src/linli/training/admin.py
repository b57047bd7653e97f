"""Admin: read-only. Plans, sessions, enrolments and attendance change only through the
services (audited, checked, attendance corrections kept as history); the pages and
the API are where they are written."""

from django.contrib import admin

from linli.core.admin import ReadOnlyAdminMixin

from .models import Attendance, AttendanceRecord, Enrolment, TrainingPlan, TrainingSession


@admin.register(TrainingPlan)
class TrainingPlanAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "unit", "year", "created_at"]
    list_filter = ["year"]
    list_select_related = ["unit"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "plan", "held_on", "status", "capacity", "credit_minutes"]
    list_filter = ["status"]
    date_hierarchy = "held_on"
    list_select_related = ["plan"]


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["session", "representative", "enrolled_at", "withdrawn_at"]
    list_select_related = ["session", "representative"]


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["session", "representative", "status", "minutes", "revision", "recorded_at"]
    list_filter = ["status"]
    list_select_related = ["session", "representative"]


@admin.register(AttendanceRecord)
class AttendanceRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["attendance", "revision", "status", "minutes", "reason", "recorded_at"]
