"""Admin pieces every app uses."""


class ReadOnlyAdminMixin:
    """For rows written only by services (audit log, link history): view, never edit."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
