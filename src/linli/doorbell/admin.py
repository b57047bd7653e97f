"""The love doorbell in the admin: read-only (writes go through the services)."""

from __future__ import annotations

from django.contrib import admin

from linli.core.admin import ReadOnlyAdminMixin

from .models import (
    CareBackup,
    CarePairing,
    CareRecipient,
    Device,
    DeviceMessage,
    DeviceRejection,
    DoorbellSettings,
    EmergencyContact,
    MaintenanceTask,
)

# --- care register and pairing ------------------------------------------------------------

# Health notes are for the carers and the village cadre only (not even an administrator):
# the admin never shows them; mobiles are shown masked.


@admin.register(CareRecipient)
class CareRecipientAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["member", "unit", "kind", "level", "active", "created_at"]
    list_filter = ["kind", "level", "active"]
    exclude = ["health_notes"]
    list_select_related = ["member", "unit"]


@admin.register(EmergencyContact)
class EmergencyContactAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["recipient", "order", "name", "relation", "phone_masked"]
    exclude = ["phone", "phone_hash"]
    list_select_related = ["recipient__member"]


@admin.register(CarePairing)
class CarePairingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["recipient", "primary", "visit_every_days", "started_on", "ended_on"]
    list_select_related = ["recipient__member", "primary"]


@admin.register(CareBackup)
class CareBackupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pairing", "order", "kind", "name", "user", "phone_masked"]
    exclude = ["phone", "phone_hash"]
    list_select_related = ["pairing", "user"]


@admin.register(DoorbellSettings)
class DoorbellSettingsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "unit",
        "ack_minutes",
        "arrive_minutes",
        "offline_minutes",
        "battery_low",
        "duty_cadre",
    ]
    list_select_related = ["unit", "duty_cadre"]


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
