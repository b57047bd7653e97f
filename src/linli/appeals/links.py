"""Short signed links that open a resident's appeal from an SMS: `/t/<token>`.

The token is `<case code>.<time>.<signature>`, about 35 characters: the case code
(already in the SMS), when it was signed (base 62 seconds, Django's
`TimestampSigner`), and the first 16 characters (96 bits) of the HMAC-SHA256
of both under `SECRET_KEY`, salted with this module's purpose and the reporter's
mobile number. A link therefore opens exactly what the tracking form opens for
that case code and mobile, and nothing else.

**Decision**: signed, not a random token stored in a table. A signature needs no
table, no migration and no clean-up job, and costs one HMAC per SMS; expiry is
read from the time inside the token against `LINLI["TRACK_LINK_DAYS"]` when the
link is opened, so changing the setting applies to links already sent. What a table
would add, revoking one link, is not needed: a link grants only the resident's own
tracking page, and every link is revoked at once by rotating `SECRET_KEY` (old keys
in `SECRET_KEY_FALLBACKS` keep working until removed). The signature is truncated
to keep the link short: 96 bits cannot be guessed online, and there is no offline
test without the key.

This module does no database work: `selectors.appeal_for_link` finds the appeal.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.urls import reverse

if TYPE_CHECKING:
    from .models import Appeal

SALT = "linli.appeals.links"
SIGNATURE_CHARS = 16
# What a token can look like; anything else is refused before any work is done.
TOKEN_RE = re.compile(rf"[0-9A-Z]{{4,20}}\.[0-9A-Za-z]{{1,10}}\.[0-9A-Za-z_-]{{{SIGNATURE_CHARS}}}")
TOKEN_MAX = 48


class LinkInvalid(Exception):
    """Malformed, tampered with, or signed for another appeal or mobile."""


class LinkExpired(Exception):
    """Genuine, but older than `LINLI["TRACK_LINK_DAYS"]`."""


class _ShortSigner(signing.TimestampSigner):
    def signature(self, value: str | bytes, key: str | bytes | None = None) -> str:
        return str(super().signature(value, key))[:SIGNATURE_CHARS]


def _signer(phone: str) -> _ShortSigner:
    return _ShortSigner(salt=f"{SALT}:{phone}", sep=".", algorithm="sha256")


def token_for(appeal: Appeal) -> str:
    return _signer(appeal.reporter_phone).sign(appeal.code)


def url_for(appeal: Appeal) -> str:
    """The absolute link put in the resident's SMS."""
    path = reverse("appeals:track_link", kwargs={"token": token_for(appeal)})
    return settings.LINLI["PUBLIC_URL"].rstrip("/") + path


def code_of(token: str) -> str:
    """The case code a well-formed token names (not yet checked); LinkInvalid otherwise."""
    if len(token) > TOKEN_MAX or not TOKEN_RE.fullmatch(token):
        raise LinkInvalid
    return token.split(".", 1)[0]


def check(token: str, appeal: Appeal) -> None:
    """Raise LinkInvalid or LinkExpired unless `token` was signed for this appeal and
    its reporter's mobile, within the configured number of days."""
    max_age = dt.timedelta(days=settings.LINLI["TRACK_LINK_DAYS"])
    try:
        code = _signer(appeal.reporter_phone).unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    if code != appeal.code:
        raise LinkInvalid
