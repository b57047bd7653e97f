"""Settings, all overridable from the environment (LINLI_*).

The embedded default is SQLite in WAL mode under ./var; production sets
LINLI_DATABASE_URL to PostgreSQL.
"""

import hashlib
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from linli.core import hardening
from linli.core.conf import LinliSettings

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = Path(os.environ.get("LINLI_HOME", BASE_DIR.parent.parent)).resolve()
VAR_DIR = Path(os.environ.get("LINLI_VAR_DIR", PROJECT_DIR / "var"))
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# --- Deployment mode (trust-harden; docs/deployment.md "Modes") ------------------
# LINLI_ENV: production (the default when unset), demo (`make demo`: the
# development inbox, console SMS, plain HTTP) or test (the suite: tests/settings.py).
# Production refuses to serve with demo-only settings (core/checks.py).
try:
    LINLI_ENV = hardening.mode_from(os.environ.get("LINLI_ENV"))
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
_PRODUCTION = LINLI_ENV == hardening.PRODUCTION
# --- end of the deployment mode ---------------------------------------------------

DEBUG = env_bool("LINLI_DEBUG", False)
SECRET_KEY = os.environ.get("LINLI_SECRET_KEY", hardening.DEMO_SECRET_KEY)
ALLOWED_HOSTS = [
    h
    for h in os.environ.get("LINLI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("LINLI_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    # django.contrib.admin, with a site that asks for a verified session.
    "linli.accounts.apps.LinliAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    # Two-factor authentication: TOTP devices, and static devices for recovery codes
    # (linli/accounts/twofactor.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The API page's Swagger UI from our own static files, not a CDN (and no inline script).
    "ninja",
    "csp",
    "linli.core",
    "linli.accounts",
    "linli.org",
    "linli.notify",
    "linli.appeals",
    "linli.duties",
    "linli.charter",
    "linli.conduct",
    "linli.notices",
    "linli.activities",
    "linli.deliberation",
    "linli.doorbell",
    "linli.funds",
    "linli.training",
    "linli.evaluation",
    "linli.honours",
    "linli.dashboard",
    "channels",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "linli.core.middleware.ContentSecurityPolicyMiddleware",
    "linli.core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session passed the second step?
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A session that still owes its second step (or its enrolment) goes there first.
    "linli.accounts.middleware.TwoFactorMiddleware",
    "linli.core.middleware.RequestContextMiddleware",
    "linli.core.middleware.DomainErrorMiddleware",
    "linli.core.middleware.ApiErrorShapeMiddleware",
    "linli.core.inputs.InputMiddleware",
    "linli.core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "linli.urls"
ASGI_APPLICATION = "linli.asgi.application"
WSGI_APPLICATION = "linli.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "linli.core.context_processors.platform",
                "linli.notify.context_processors.unread",
                "linli.dashboard.context_processors.menu",
            ],
        },
    },
]

_default_sqlite = f"sqlite:///{VAR_DIR / 'linli.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("LINLI_DATABASE_URL", _default_sqlite),
        conn_max_age=60,
        # A connection the server dropped (a restart) is found and replaced before
        # use, by Django or by the pool's check (core.middleware.DatabaseUnavailableMiddleware).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "LINLI_DB_POOL", True
):
    # Under ASGI every request runs in its own thread, so persistent
    # connections (CONN_MAX_AGE) are never reused: a pool is (Django >= 5.1).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ.get("LINLI_DB_POOL_SIZE", "8")),
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
    "LINLI_DB_JIT", False
):
    # PostgreSQL's JIT compiles any plan estimated above jit_above_cost: about a
    # second of compiling for a county-wide aggregate that runs in half that
    # (docs/performance.md). Our statements are short; compiling never pays.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the single writer; IMMEDIATE takes the
        # write lock at BEGIN so two writers queue instead of deadlocking.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if env_bool("LINLI_FAST_HASHER", False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# `collectstatic` (run by `make demo`; see docs/deployment.md) writes every static
# file under a content-hashed name with gzip (and, with the Brotli package, brotli)
# copies beside it; WhiteNoise serves the hashed names compressed, as the client
# accepts, with a far-future immutable Cache-Control. The templates' {% static %}
# then needs the manifest, so the test suite keeps the plain storage
# (tests/conftest.py) and runs without collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Files served at the site root, such as /favicon.ico (not hashed: a short cache).
WHITENOISE_ROOT = BASE_DIR / "core" / "site_root"
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}

SESSION_COOKIE_AGE = 60 * 60 * 12
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LINLI: LinliSettings = {
    # A representative is linked to this many households (联户 5-15).
    "LINK_MIN": 5,
    "LINK_MAX": 15,
    "PAGE_SIZE": 50,
    "IMPORT_MAX_ROWS": 50_000,
    # Photos (appeals, home visits): at most this many per record, each at most this size.
    "PHOTO_MAX_COUNT": 6,
    "PHOTO_MAX_BYTES": 8 * 1024 * 1024,
    # One-time codes sent to residents who report without an account.
    "OTP_TTL_SECONDS": 10 * 60,
    "OTP_MAX_ATTEMPTS": 5,
    # Notifications: the SMS gateway (console = written to the log and the
    # development inbox; http = a generic JSON POST gateway for production).
    # The console backend only in demo and test (LINLI_ENV); production must name one.
    "SMS_BACKEND": os.environ.get("LINLI_SMS_BACKEND", "http" if _PRODUCTION else "console"),
    "SMS_HTTP_URL": os.environ.get("LINLI_SMS_HTTP_URL", ""),
    "SMS_HTTP_TOKEN": os.environ.get("LINLI_SMS_HTTP_TOKEN", ""),
    # The development inbox page shows messages sent through the console backend:
    # on by default in the demo only (tests/settings.py turns it on for the suite).
    "DEV_INBOX": env_bool("LINLI_DEV_INBOX", LINLI_ENV == hardening.DEMO),
    "OUTBOX_MAX_ATTEMPTS": int(os.environ.get("LINLI_OUTBOX_MAX_ATTEMPTS", "8")),
    # Seconds a worker holds a claimed outbox row (renewed before each delivery); a row
    # a killed worker held is delivered again after this.
    "OUTBOX_LEASE_SECONDS": int(os.environ.get("LINLI_OUTBOX_LEASE_SECONDS", "60")),
    # Seconds between ticks of the in-process ticker (embedded default).
    "TICK_SECONDS": int(os.environ.get("LINLI_TICK_SECONDS", "30")),
    # The love doorbell's MQTT broker (the bridge, `python -m linli doorbell_bridge`) and
    # the topic prefix devices publish under (docs/doorbell.md).
    "DOORBELL_MQTT_URL": os.environ.get("LINLI_MQTT_URL", "mqtt://127.0.0.1:1883"),
    "DOORBELL_MQTT_PREFIX": os.environ.get("LINLI_MQTT_PREFIX", "linli/doorbell").strip("/"),
    # The bridge's fixed MQTT client id: the broker keeps its persistent session (the
    # presses published while it is away) under this id.
    "DOORBELL_BRIDGE_ID": os.environ.get("LINLI_MQTT_CLIENT_ID", "linli-bridge"),
    # Days the refused doorbell messages (DeviceRejection) are kept; older rows are
    # deleted by the `doorbell.prune_rejections` tick (at least 1).
    "DOORBELL_REJECTION_DAYS": max(1, int(os.environ.get("LINLI_DOORBELL_REJECTION_DAYS", "90"))),
    # Leaflet tile URL template, e.g. a local tile server; empty = no tiles.
    "MAP_TILE_URL": os.environ.get("LINLI_MAP_TILE_URL", ""),
    # The site's address as residents reach it: SMS links are built on it.
    "PUBLIC_URL": os.environ.get("LINLI_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
    # Days a tracking link in an SMS (/t/<token>) keeps opening the appeal.
    "TRACK_LINK_DAYS": int(os.environ.get("LINLI_TRACK_LINK_DAYS", "30")),
    # Two-factor authentication is required of administrators, the command centre and
    # town staff (accounts/twofactor.py `required_for`). Switching it off is for a
    # closed test installation only; it is on unless LINLI_TWO_FACTOR_REQUIRED=0.
    "TWO_FACTOR_REQUIRED": env_bool("LINLI_TWO_FACTOR_REQUIRED", True),
    # API tokens: the lifetime of a new token unless asked otherwise, and the longest
    # lifetime anyone may ask for (days).
    "TOKEN_DAYS": int(os.environ.get("LINLI_TOKEN_DAYS", "90")),
    "TOKEN_MAX_DAYS": int(os.environ.get("LINLI_TOKEN_MAX_DAYS", "365")),
    # The audit chain's HMAC key; without LINLI_AUDIT_KEY it is derived from SECRET_KEY
    # (fine for the demo; a deployment sets its own and keeps it out of the database).
    "AUDIT_KEY": os.environ.get("LINLI_AUDIT_KEY")
    or hashlib.sha256(f"linli-audit:{SECRET_KEY}".encode()).hexdigest(),
    "AUDIT_RETENTION_DAYS": max(180, int(os.environ.get("LINLI_AUDIT_RETENTION_DAYS", "365"))),
    # Throttling and lockout: scope -> (attempts allowed, window in seconds); the
    # windows are fixed (core/ratelimit.py). See docs/security.md.
    "THROTTLES": {
        # Failed logins (page and token): 5 per account locks it for the rest of the
        # 15 minutes, 20 from one address lock that address.
        "login-account": (5, 15 * 60),
        "login-address": (20, 15 * 60),
        # Tracking by case code and mobile: per address, and wrong mobiles per code.
        "track-address-minute": (10, 60),
        "track-address-day": (100, 24 * 3600),
        "track-code": (5, 3600),
        # One-time codes asked per address (each mobile also has its own limits in
        # appeals.services), and wrong codes typed per mobile.
        "code-address": (5, 10 * 60),
        "code-address-day": (20, 24 * 3600),
        "code-verify-mobile": (10, 3600),
        # The doorbells' HTTP endpoint: REFUSED messages per address (a village's Wi-Fi
        # may carry many doorbells behind one NAT; their genuine, signed messages never
        # count and are never refused 429). No bucket per claimed device id: forged
        # messages would fill it and silence the genuine doorbell (docs/security.md).
        "doorbell-address": (120, 60),
    },
    # Days a representative has to give their statement on a reported breach (conduct).
    "CONDUCT_RESPONSE_DAYS": int(os.environ.get("LINLI_CONDUCT_RESPONSE_DAYS", "7")),
}

# The name authenticator apps show beside the account (otpauth:// URI issuer).
OTP_TOTP_ISSUER = os.environ.get("LINLI_OTP_ISSUER", "邻里")
# --- Transport and browser security (trust-harden; docs/deployment.md) ----------
# On in production, off for the demo and the tests (plain HTTP on 127.0.0.1); each
# can be set from the environment. Production refuses to start with cookies that
# are not Secure (core/checks.py).
SESSION_COOKIE_SECURE = env_bool("LINLI_SECURE_COOKIES", _PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# HTTPS only: redirect plain HTTP, and tell browsers to keep to HTTPS (HSTS).
SECURE_SSL_REDIRECT = env_bool("LINLI_SSL_REDIRECT", _PRODUCTION)
SECURE_HSTS_SECONDS = int(
    os.environ.get("LINLI_HSTS_SECONDS", str(365 * 24 * 3600 if _PRODUCTION else 0))
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("LINLI_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is a promise to browser vendors that is slow to take back: opt in.
SECURE_HSTS_PRELOAD = env_bool("LINLI_HSTS_PRELOAD", False)
# "accounts.User.phone must be unique because it is the USERNAME_FIELD": the mobile is
# stored encrypted (a fresh nonce each time), so uniqueness is on its keyed hash
# `phone_hash`, and the manager finds logins through that hash (accounts/models.py).
SILENCED_SYSTEM_CHECKS = ["auth.E003"]
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")  # "SECURE_HSTS_PRELOAD is not True"
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips a client's).
if env_bool("LINLI_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# core.middleware.PermissionsPolicyMiddleware: location and camera for this site only.
PERMISSIONS_POLICY = hardening.PERMISSIONS_POLICY
# Content-Security-Policy (django-csp, core.middleware.ContentSecurityPolicyMiddleware,
# which adds ws(s)://<host> to connect-src for the live badge). No inline script or
# style anywhere: scripts are static files, data reaches them in data-* attributes
# or json_script.
try:
    _tile_source = hardening.tile_source(LINLI["MAP_TILE_URL"])
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:", *([_tile_source] if _tile_source else [])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "frame-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
    },
}
# --- end of transport and browser security ----------------------------------------

# Uploaded files (photos, report documents). They are served by views that check scope,
# never as public static files.
MEDIA_ROOT = Path(os.environ.get("LINLI_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

EMAIL_BACKEND = os.environ.get(
    "LINLI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("LINLI_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("LINLI_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("LINLI_EMAIL_FROM", "linli@localhost")

# Background work. With no broker configured (the embedded default) Celery
# runs tasks in-process and the serve command starts a ticker thread; in
# production LINLI_CELERY_BROKER_URL points at Redis and a worker + beat run.
CELERY_BROKER_URL = os.environ.get("LINLI_CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# Live push. In-memory (one process) by default; Redis in production.
_redis_url = os.environ.get("LINLI_REDIS_URL", "")
if _redis_url:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": _redis_url,
                        # redis-py (>= 8) reads with a 5 s timeout by default, the same
                        # as channels_redis's blocking pop: an idle page's socket then
                        # died every few seconds. Reads wait longer than the pop; a
                        # Redis that is down is noticed at connect, within 1 s (a refused
                        # connection at once; the pool's connections retry nothing), so
                        # an outage frees the doorbell's pushes fast (they are never
                        # waited for: doorbell.services._send).
                        "socket_timeout": 30,
                        "socket_connect_timeout": 1,
                        # A pooled connection idle this long is pinged first, so one
                        # that a Redis restart closed is replaced, not used and failed.
                        "health_check_interval": 5,
                    }
                ]
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The cache holds the attempt counters of throttling and lockout (core/ratelimit.py)
# and nothing a page needs: Redis when LINLI_REDIS_URL is set, shared by every
# process; otherwise each process's own memory (one process, counts reset on
# restart). Short socket timeouts: with Redis stopped, the limiter fails open
# (logs a warning and counts nothing) instead of holding requests.
if _redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
            "KEY_PREFIX": "linli",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "linli",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "filters": {"refusals": {"()": "linli.core.logfilters.RefusalsWithoutTraceback"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LINLI_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # A 403/404 is one line, not a traceback (every refused page logged one).
        "django.request": {"filters": ["refusals"]},
        # Eager tasks (the embedded default) would log every outbox kick.
        "celery": {"level": "WARNING"},
    },
}

PLATFORM_NAME = _("Linli grassroots governance platform")
