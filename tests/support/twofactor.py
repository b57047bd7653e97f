"""Two-factor authentication in tests: devices, current codes, verified sessions.

`tests/conftest.py` makes `Client.force_login(user)` stand for a whole login, both
steps: for a user who has or needs an authenticator it also enrols one (if missing) and
marks the session verified, as the verify page would. A test of the second step itself
logs in with the password (`client.login`, the login page) or calls
`client.force_login(user, verified=False)`.
"""

from __future__ import annotations

import base64
import time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from linli.accounts import twofactor
from linli.accounts.models import phone_index

# A fixed secret for test accounts that need an authenticator (base32).
TEST_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enrol(user, secret: str = TEST_SECRET) -> TOTPDevice:
    """A confirmed authenticator for `user` (the one they have, or a new one)."""
    device = twofactor.totp_device(user)
    if device is None:
        device = twofactor.demo_device(user=user, secret=secret)
    return device


def code_for(device_or_secret, at: float | None = None, offset: int = 0) -> str:
    """The six-digit code the app shows now (`offset` steps later or earlier)."""
    if isinstance(device_or_secret, str):
        key = base64.b32decode(device_or_secret.replace(" ", "").upper())
        step, t0, digits, drift = 30, 0, 6, 0
    else:
        d = device_or_secret
        d.refresh_from_db()
        key, step, t0, digits, drift = d.bin_key, d.step, d.t0, d.digits, d.drift
    totp = TOTP(key, step, t0, digits, drift)
    totp.time = (at if at is not None else time.time()) + offset * step
    return f"{totp.token():0{digits}d}"


def fresh_code(device: TOTPDevice) -> str:
    """A code the device has not accepted yet (django-otp refuses a code twice): the
    current one, or the next step's, which it accepts within its tolerance."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    offset = 0 if totp.t() > device.last_t else 1
    return code_for(device, offset=offset)


def verify_session(client, user) -> None:
    """Mark the client's session as past the second step (enrolling `user` if needed)."""
    device = enrol(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def needs_second_step(user) -> bool:
    return (
        twofactor.required_for(user)
        or TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    )


def pass_second_step(page, base: str, phone: str) -> None:
    """In a browser, after the password: type the account's current code on the verify
    page (enrolling the account first if it was sent to enrolment). Nothing to do for an
    account that needs no second step."""
    from django.urls import reverse

    from linli.accounts.models import User

    page.wait_for_load_state()
    verify, enrolment = reverse("accounts:otp_verify"), reverse("accounts:otp_enrol")
    if enrolment in page.url:
        enrol(User.objects.get(phone_hash=phone_index(phone)))
        page.goto(f"{base}{verify}")
    if verify not in page.url:
        return
    device = enrol(User.objects.get(phone_hash=phone_index(phone)))
    page.fill("input[name=code]", fresh_code(device))
    page.click("button[type=submit]")
