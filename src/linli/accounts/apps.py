from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True
    name = "linli.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from linli.core.ticks import register

        # Anything a crash left unchained joins the audit chain on the next tick.
        register("accounts.audit_seal", "linli.accounts.audit.seal_tick", every=60)
        # Spent and expired login codes (accounts/sms_login.py) are kept a day, then go.
        register("accounts.login_codes", "linli.accounts.sms_login.purge_codes", every=3600)


class LinliAdminConfig(admin_apps.AdminConfig):
    """`django.contrib.admin` with our site: it also asks for a verified session."""

    default = False
    default_site = "linli.accounts.admin_site.VerifiedAdminSite"
