"""The love doorbell in the admin: read-only (writes go through the services)."""

from __future__ import annotations

from django.contrib import admin

from linli.core.admin import ReadOnlyAdminMixin

from .models import Device, DeviceMessage, DeviceRejection, MaintenanceTask

# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # The secret never shows: it is shown once when registered (docs/doorbell.md).
    list_display = ["device_id", "unit", "household", "status", "last_seen_at", "battery"]
    list_filter = ["status"]
    search_fields = ["device_id"]
    exclude = ["secret"]
    list_select_related = ["unit", "household"]


@admin.register(DeviceMessage)
class DeviceMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["device", "seq", "kind", "channel", "received_at", "battery"]
    list_filter = ["kind", "channel"]
    date_hierarchy = "received_at"
    list_select_related = ["device"]


@admin.register(DeviceRejection)
class DeviceRejectionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "claimed_id", "reason", "channel", "seq", "remote"]
    list_filter = ["reason", "channel"]
    date_hierarchy = "received_at"
    search_fields = ["claimed_id"]


@admin.register(MaintenanceTask)
class MaintenanceTaskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["device", "kind", "unit", "opened_at", "resolved_at", "resolved_automatically"]
    list_filter = ["kind"]
    list_select_related = ["device", "unit"]


# --- alarms -------------------------------------------------------------------------------
