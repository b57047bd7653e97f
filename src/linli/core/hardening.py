"""The deployment modes and the pieces of the security settings that are computed.

`settings.py` imports this before Django is configured, so it imports nothing from
Django or the apps (like `core.conf`). The checks that refuse an unsafe production
start are in `core/checks.py`; the headers are set by `core/middleware.py`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# LINLI_ENV. Production is the default: a deployment that forgets to say what it
# is gets the strict checks, never the demo's conveniences.
PRODUCTION = "production"
DEMO = "demo"
TEST = "test"
MODES = (PRODUCTION, DEMO, TEST)
# Modes in which the console SMS backend (codes written to the log) may be used.
CONSOLE_SMS_MODES = (DEMO, TEST)

# The secret key a checkout starts with; production refuses to start with it.
DEMO_SECRET_KEY = "insecure-demo-key-change-me-in-production"  # noqa: S105 (it is the insecure one)
SECRET_KEY_MIN_LENGTH = 50

# The Permissions-Policy header: what the pages may ask the browser for. The duty
# visit and the resident's report ask for the location; photos come from the
# phone's camera through a file input (allowed to this origin only).
PERMISSIONS_POLICY: dict[str, tuple[str, ...]] = {
    "geolocation": ("self",),
    "camera": ("self",),
    "microphone": (),
    "payment": (),
    "usb": (),
    "midi": (),
    "magnetometer": (),
    "gyroscope": (),
    "accelerometer": (),
    "display-capture": (),
    "fullscreen": ("self",),
}


def mode_from(value: str | None) -> str:
    """The mode LINLI_ENV names (production when unset); ValueError for anything else."""
    mode = (value or PRODUCTION).strip().lower()
    if mode not in MODES:
        raise ValueError(f"LINLI_ENV must be one of {', '.join(MODES)}, not {value!r}")
    return mode


def secret_key_problem(key: str) -> str:
    """Why `key` is unfit for production, or "" when it is fine."""
    if key == DEMO_SECRET_KEY:
        return "it is the demo key every checkout has"
    if key.startswith("django-insecure-"):
        return "it is a development key (django-insecure-...)"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"it is shorter than {SECRET_KEY_MIN_LENGTH} characters"
    if len(set(key)) < 5:
        return "it has fewer than 5 different characters"
    return ""


def permissions_policy_header(policy: dict[str, tuple[str, ...]]) -> str:
    """`{"geolocation": ("self",), "usb": ()}` -> `geolocation=(self), usb=()`."""
    parts = []
    for feature, allow in policy.items():
        origins = " ".join(o if o in ("self", "*") else f'"{o}"' for o in allow)
        parts.append(f"{feature}=({origins})")
    return ", ".join(parts)


_TEMPLATE = re.compile(r"\{[^}]*\}")


def tile_source(url: str) -> str:
    """The CSP source that allows a Leaflet tile URL template's images ("" if none).

    `https://{s}.tile.example.org/{z}/{x}/{y}.png` -> `https://*.tile.example.org`;
    a placeholder anywhere but the leftmost label of the host cannot be written as
    a CSP source, so the whole scheme's hosts would be needed: refused instead.
    """
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"LINLI_MAP_TILE_URL must be an http(s) URL template, not {url!r}")
    host = parts.netloc
    labels = host.split(".")
    if _TEMPLATE.fullmatch(labels[0]):
        labels[0] = "*"
        host = ".".join(labels)
    if _TEMPLATE.search(host):
        raise ValueError(
            "LINLI_MAP_TILE_URL may have a placeholder only as the host's first label "
            f"({{s}}.tiles.example.org), not {url!r}"
        )
    return f"{parts.scheme}://{host}"
