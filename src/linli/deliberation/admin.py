"""Admin: read-only. Every change to the deliberation list goes through its services
(pages and API), which check the policy and write the history and the audit."""

from django.contrib import admin

from linli.core.admin import ReadOnlyAdminMixin

from .models import Comment, Item, Matter, SkippedDeliberation, Vote, VotingRule


@admin.register(Matter)
class MatterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "title", "unit", "active"]
    list_filter = ["active"]
    search_fields = ["code", "title"]


@admin.register(VotingRule)
class VotingRuleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["unit", "quorum_num", "quorum_den", "majority_num", "majority_den"]


@admin.register(Item)
class ItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "unit", "stage", "source", "updated_at"]
    list_filter = ["stage", "source"]
    search_fields = ["title"]


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["item", "present", "votes_for", "quorum_met", "passed", "at"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["item", "name", "created_at", "hidden_at"]


@admin.register(SkippedDeliberation)
class SkippedDeliberationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["unit", "matter", "decided_on", "recorded_by"]
