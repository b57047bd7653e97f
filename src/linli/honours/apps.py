from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HonoursConfig(AppConfig):
    name = "linli.honours"
    verbose_name = _("Hundred best and reserve pool")
