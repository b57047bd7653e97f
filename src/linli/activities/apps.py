from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "linli.activities"
    verbose_name = _("Service days and activities")
