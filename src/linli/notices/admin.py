"""Admin: notices and deliveries are read-only here; they change only through the
services (publish, withdraw, record a delivery), which check scope and audit."""

from django.contrib import admin

from linli.core.admin import ReadOnlyAdminMixin

from .models import Delivery, Notice, NoticeReminder


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "unit", "kind", "urgent", "published_at", "withdrawn_at"]
    list_filter = ["kind", "urgent"]
    date_hierarchy = "published_at"
    search_fields = ["title"]
    list_select_related = ["unit"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["notice", "household", "representative", "method", "delivered_at"]
    list_filter = ["method"]
    list_select_related = ["notice", "household", "representative"]
    raw_id_fields = ["notice", "household", "unit", "representative", "contact"]


@admin.register(NoticeReminder)
class NoticeReminderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["notice", "representative", "unreached", "sent_at"]
