"""The love doorbell in the admin: read-only (writes go through the services)."""

from __future__ import annotations

from django.contrib import admin

from linli.core.admin import ReadOnlyAdminMixin

from .models import CareBackup, CarePairing, CareRecipient, DoorbellSettings, EmergencyContact

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
    list_display = ["unit", "ack_minutes", "offline_minutes", "battery_low", "duty_cadre"]
    list_select_related = ["unit", "duty_cadre"]


# --- devices, messages and maintenance ----------------------------------------------------


# --- alarms -------------------------------------------------------------------------------
