from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "linli.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        # accounts sits below org: org tells accounts.scope who serves as a representative.
        from linli.accounts.scope import provide_representative_ids

        from .selectors import serving_representative_ids

        provide_representative_ids(serving_representative_ids)
