"""Production refuses to start with settings that are only safe for a demo.

In production mode (LINLI_ENV=production, the default) these are errors:

- linli.E001 DEBUG on;
- linli.E002 the demo secret key, or one that is short or trivial;
- linli.E003 the development inbox on (it shows every one-time code to anyone);
- linli.E004 the console SMS backend (codes written to the log, never sent);
- linli.E005 session or CSRF cookies that are not Secure;
- crypto.E001 no keys of its own for the ID numbers and mobiles (LINLI_DATA_KEYS,
  LINLI_HASH_KEY);
and warnings: linli.W001 an HTTP SMS backend without its URL, linli.W002 no
LINLI_AUDIT_KEY of its own.

They run with `python -m linli check --deploy` and, before anything is served, in
`linli.asgi`, `linli.wsgi` and the `serve` command (`ensure_safe_to_serve`), which
raise `ImproperlyConfigured` with every problem listed. A plain `check` (the lint)
does not run them: a checkout has no secret key, and needs none to be linted.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .crypto import check_keys
from .hardening import PRODUCTION, secret_key_problem

DEMO_HINT = "For a demo on this machine, set LINLI_ENV=demo instead (as `make demo` does)."


def deployment_messages() -> list[checks.CheckMessage]:
    """What makes the current settings unfit for production (empty outside production)."""
    if getattr(settings, "LINLI_ENV", PRODUCTION) != PRODUCTION:
        return []
    found: list[checks.CheckMessage] = []
    if settings.DEBUG:
        found.append(
            checks.Error(
                "DEBUG is on (LINLI_DEBUG): error pages would show settings, code and "
                "personal data to anyone.",
                hint="Unset LINLI_DEBUG. " + DEMO_HINT,
                id="linli.E001",
            )
        )
    problem = secret_key_problem(str(settings.SECRET_KEY))
    if problem:
        found.append(
            checks.Error(
                f"LINLI_SECRET_KEY is unfit for production: {problem}. Sessions, "
                "password resets and tracking links would be forgeable.",
                hint='Set LINLI_SECRET_KEY to a long random string: python3 -c "import '
                'secrets; print(secrets.token_urlsafe(50))"',
                id="linli.E002",
            )
        )
    if settings.LINLI.get("DEV_INBOX"):
        found.append(
            checks.Error(
                "The development inbox is on (LINLI_DEV_INBOX): /notify/dev-inbox/ shows "
                "every one-time code and SMS to anyone, without a login.",
                hint="Unset LINLI_DEV_INBOX. " + DEMO_HINT,
                id="linli.E003",
            )
        )
    if settings.LINLI.get("SMS_BACKEND") == "console":
        found.append(
            checks.Error(
                "The console SMS backend is set (LINLI_SMS_BACKEND=console): one-time codes "
                "would be written to the server log instead of being sent.",
                hint="Set LINLI_SMS_BACKEND=http and LINLI_SMS_HTTP_URL (the SMS gateway). "
                + DEMO_HINT,
                id="linli.E004",
            )
        )
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        found.append(
            checks.Error(
                "Cookies are not Secure (LINLI_SECURE_COOKIES=0): the session and CSRF "
                "cookies would also travel over plain HTTP.",
                hint="Serve over HTTPS and unset LINLI_SECURE_COOKIES. " + DEMO_HINT,
                id="linli.E005",
            )
        )
    # ID numbers and mobiles must not be encrypted with keys derived from SECRET_KEY.
    found.extend(check_keys())
    if not os.environ.get("LINLI_AUDIT_KEY"):
        found.append(
            checks.Warning(
                "LINLI_AUDIT_KEY is not set: the audit chain's key is derived from "
                "LINLI_SECRET_KEY, so rotating the secret key would break its verification.",
                hint="Set LINLI_AUDIT_KEY to a long random string and keep it outside the "
                "database and its backups (docs/security.md).",
                id="linli.W002",
            )
        )
    if settings.LINLI.get("SMS_BACKEND") == "http" and not settings.LINLI.get("SMS_HTTP_URL"):
        found.append(
            checks.Warning(
                "LINLI_SMS_BACKEND=http without LINLI_SMS_HTTP_URL: no SMS (one-time codes, "
                "notices to residents) can be delivered.",
                hint="Set LINLI_SMS_HTTP_URL to the SMS gateway (docs/notifications.md).",
                id="linli.W001",
            )
        )
    return found


@checks.register(checks.Tags.security, deploy=True)
def check_deployment(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[checks.CheckMessage]:
    return deployment_messages()


def ensure_safe_to_serve() -> None:
    """Raise ImproperlyConfigured, naming every problem, if production is misconfigured."""
    errors = [m for m in deployment_messages() if m.is_serious()]
    if not errors:
        return
    lines = [f"  {m.id}: {m.msg}\n      {m.hint}" for m in errors]
    raise ImproperlyConfigured(
        "linli refuses to start: these settings are unsafe in production "
        f"(LINLI_ENV={PRODUCTION}, the default when LINLI_ENV is unset):\n" + "\n".join(lines)
    )
