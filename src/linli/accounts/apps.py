from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "linli.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from linli.core.ticks import register

        # Anything a crash left unchained joins the audit chain on the next tick.
        register("accounts.audit_seal", "linli.accounts.audit.seal_tick", every=60)
        # Spent and expired login codes (accounts/sms_login.py) are kept a day, then go.
        register("accounts.login_codes", "linli.accounts.sms_login.purge_codes", every=3600)
