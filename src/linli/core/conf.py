"""The type of `settings.LINLI`, the project's own settings.

`settings.py` annotates `LINLI: LinliSettings`, so mypy (through the django-stubs
plugin) knows `settings.LINLI["OTP_TTL_SECONDS"]` is an `int` wherever it is read, and
a misspelt key is an error. This module imports nothing from Django or the apps:
`settings.py` imports it before Django is configured.
"""

from typing import TypedDict


class LinliSettings(TypedDict):
    # A representative is linked to this many households (联户 5-15).
    LINK_MIN: int
    LINK_MAX: int
    PAGE_SIZE: int
    DOORBELL_MQTT_URL: str
    DOORBELL_MQTT_PREFIX: str
    DOORBELL_BRIDGE_ID: str
    # Refused doorbell messages are kept this many days (the prune tick).
    DOORBELL_REJECTION_DAYS: int
    IMPORT_MAX_ROWS: int
    # Photos (appeals, home visits): at most this many per record, each at most this size.
    PHOTO_MAX_COUNT: int
    PHOTO_MAX_BYTES: int
    # One-time codes sent to residents who report without an account.
    OTP_TTL_SECONDS: int
    OTP_MAX_ATTEMPTS: int
    # The SMS gateway: "console", "http", or a dotted class path (notify/backends.py).
    SMS_BACKEND: str
    SMS_HTTP_URL: str
    SMS_HTTP_TOKEN: str
    # The development inbox page shows messages sent through the console backend.
    DEV_INBOX: bool
    OUTBOX_MAX_ATTEMPTS: int
    OUTBOX_LEASE_SECONDS: int
    # Seconds between ticks of the in-process ticker (embedded default).
    TICK_SECONDS: int
    # Leaflet tile URL template; empty = no tiles.
    MAP_TILE_URL: str
    # The site's address as residents reach it, for links in SMS (no trailing slash).
    PUBLIC_URL: str
    # Days a tracking link sent by SMS (/t/<token>) keeps opening the appeal.
    TRACK_LINK_DAYS: int
    # Two-factor authentication required of admin, city and town roles and staff.
    TWO_FACTOR_REQUIRED: bool
    # API tokens: default and longest lifetime, in days.
    TOKEN_DAYS: int
    TOKEN_MAX_DAYS: int
    # Key of the audit log's hash chain (HMAC); kept outside the database.
    AUDIT_KEY: str
    # Days the audit log is kept before `audit_purge` may remove entries (at least 180).
    AUDIT_RETENTION_DAYS: int
    # Throttling and lockout (core/ratelimit.py, docs/security.md): per scope,
    # (attempts allowed, window in seconds).
    THROTTLES: dict[str, tuple[int, int]]
    # Days a representative has to give their statement on a reported breach (conduct).
    CONDUCT_RESPONSE_DAYS: int
