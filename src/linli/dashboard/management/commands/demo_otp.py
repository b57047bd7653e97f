"""Print the current two-factor code of the demo accounts (their shared, published key).

The demo administrator, command centre, town staff and superuser log in with the
password and this code; it changes every 30 seconds. Only the demo key is known here:
a real account's key never leaves its device row.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from django.core.management.base import BaseCommand
from django_otp.oath import TOTP

from linli.org.demo import DEMO_OTP_SECRET


def demo_code(at: float | None = None) -> tuple[str, int]:
    """The demo key's code now, and the seconds it stays valid."""
    now = time.time() if at is None else at
    totp = TOTP(base64.b32decode(DEMO_OTP_SECRET))
    totp.time = now
    return f"{totp.token():06d}", 30 - int(now) % 30


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        code, left = demo_code()
        self.stdout.write(f"{code}  ({left}s)")
