"""The limits on the public (no account) doors of appeals, in one place for the API
and the pages alike (`core.ratelimit`; the numbers are `LINLI["THROTTLES"]`).

- Tracking by case code and mobile (`/api/v1/public/track`, the track page): every
  try counts against the client address (10 a minute, 100 a day), and each wrong
  mobile against the case code (5 an hour, then the code is refused for the rest of
  the hour, whoever asks). Without them a case code and a masked mobile
  (139****0000) fall to about 10,000 guesses in a minute. The signed SMS link
  (`/t/<token>`, `links.py`) takes no guessable input and is not limited, so the
  reporter still reaches a locked appeal through it.
- One-time codes (`/api/v1/public/codes`, the report page's "send code"): per
  client address, 5 in 10 minutes and 20 a day, besides the per-mobile limits of
  `services.phone_code_request` (one a minute, 10 a day), so one client cannot send
  SMS to many numbers. Wrong codes are limited per mobile in
  `services.phone_code_verify`.

A case code is counted whether or not an appeal has it, so the answers do not tell
which codes exist.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from linli.core import ratelimit


def _code_key(code: str) -> str:
    return str(code or "").strip().upper()


def track_attempt(request: HttpRequest, code: str) -> None:
    """Count a tracking try from this client; raise Throttled when the client has
    tried too often or the case code is locked by wrong mobiles."""
    client = ratelimit.client_key(request)
    ratelimit.check("track-address-minute", client)
    ratelimit.check("track-address-day", client)
    ratelimit.refuse_if_exceeded(
        "track-code",
        _code_key(code),
        message=_("Too many wrong mobile numbers were tried for this case code."),
    )


def track_failed(code: str) -> None:
    """Count a wrong mobile (or unknown code); raise Throttled when that locks the code."""
    limit = settings.LINLI["THROTTLES"]["track-code"][0]
    count, wait = ratelimit.hit("track-code", _code_key(code))
    if count >= limit > 0:
        raise ratelimit.throttled(
            wait, _("Too many wrong mobile numbers were tried for this case code.")
        )


def code_request(request: HttpRequest) -> None:
    """Count a one-time code asked for from this client; raise Throttled past the limits."""
    client = ratelimit.client_key(request)
    message = _("Too many verification codes were asked for from this network.")
    ratelimit.check("code-address", client, message=message)
    ratelimit.check("code-address-day", client, message=message)
