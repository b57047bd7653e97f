"""Admin: the lists are read-only here; they change only through the services (the
draft editor and the API), which check who writes and that nothing is weakened."""

from django.contrib import admin

from linli.core.admin import ReadOnlyAdminMixin

from .models import CharterEntry, CharterVersion


class CharterEntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CharterEntry
    fields = ["code", "kind", "title", "text", "floor", "floor_unit", "duty", "order"]
    extra = 0


@admin.register(CharterVersion)
class CharterVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "unit", "number", "effective_from", "status", "published_by"]
    list_filter = ["status"]
    list_select_related = ["unit", "published_by"]
    inlines = [CharterEntryInline]

    def view_on_site(self, obj):
        from django.urls import reverse

        return reverse("charter:version_detail", args=[obj.pk])
