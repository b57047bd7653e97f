"""The deployment modes: production refuses demo settings, and the security settings
and headers are what docs/deployment.md says.

Production is tried in subprocesses with an environment of their own (the suite
itself runs with LINLI_ENV=test, tests/settings.py): settings are read once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from linli.core import hardening
from linli.notify.backends import get_sms_backend

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k3y-" + "x7Qp2Lm9" * 8  # long and varied: fit for production


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A well-configured production environment (LINLI_ENV unset: the default)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINLI_", "DJANGO_"))}
    env.update(
        PYTHONPATH=str(ROOT / "src"),
        DJANGO_SETTINGS_MODULE="linli.settings",
        LINLI_VAR_DIR=str(tmp_path),
        LINLI_SECRET_KEY=GOOD_KEY,
        LINLI_SMS_BACKEND="http",
        LINLI_SMS_HTTP_URL="https://sms.example.gov.cn/send",
        LINLI_ALLOWED_HOSTS="linli.example.gov.cn",
        # Personal data and the audit chain have keys of their own (core/crypto.py,
        # accounts/audit.py).
        LINLI_DATA_KEYS="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        LINLI_HASH_KEY="blind-index-key-" + "h" * 40,
        LINLI_AUDIT_KEY="audit-chain-key-" + "a" * 40,
    )
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(
    args: list[str], env: dict[str, str], timeout: int = 90
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def start_asgi(env: dict[str, str], module: str = "linli.asgi") -> subprocess.CompletedProcess[str]:
    """Import the ASGI (or WSGI) application as a server would."""
    return run(["-c", f"import {module}"], env)


# --- production refuses to start -------------------------------------------------------


def test_a_well_configured_production_starts(tmp_path):
    result = start_asgi(production_env(tmp_path))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"LINLI_DEBUG": "1"}, "linli.E001", "DEBUG is on"),
        ({"LINLI_SECRET_KEY": None}, "linli.E002", "the demo key"),
        ({"LINLI_SECRET_KEY": "short-but-set"}, "linli.E002", "shorter than 50"),
        ({"LINLI_DEV_INBOX": "1"}, "linli.E003", "development inbox is on"),
        ({"LINLI_SMS_BACKEND": "console"}, "linli.E004", "console SMS backend"),
        ({"LINLI_SECURE_COOKIES": "0"}, "linli.E005", "Cookies are not Secure"),
        ({"LINLI_DATA_KEYS": None}, "crypto.E001", "LINLI_DATA_KEYS not set"),
    ],
    ids=[
        "debug",
        "demo-key",
        "short-key",
        "dev-inbox",
        "console-sms",
        "insecure-cookies",
        "no-data-keys",
    ],
)
def test_production_refuses_to_start_with_demo_settings(tmp_path, change, code, words):
    result = start_asgi(production_env(tmp_path, **change))
    assert result.returncode != 0
    assert "linli refuses to start" in result.stderr
    assert code in result.stderr and words in result.stderr
    # Only what is wrong is named.
    assert result.stderr.count("linli.E00") + result.stderr.count("crypto.E00") == 1


def test_wsgi_refuses_too(tmp_path):
    result = start_asgi(production_env(tmp_path, LINLI_DEBUG="1"), module="linli.wsgi")
    assert result.returncode != 0 and "linli.E001" in result.stderr


def test_the_serve_command_refuses_before_serving(tmp_path):
    result = run(
        ["-m", "linli", "serve", "--port", "0", "--no-ticker"],
        production_env(tmp_path, LINLI_SECRET_KEY=None),
        timeout=60,
    )
    assert result.returncode != 0
    assert "linli.E002" in result.stderr and "serving on" not in result.stdout


def test_the_demo_starts_with_the_demo_key_the_dev_inbox_and_console_sms(tmp_path):
    env = production_env(
        tmp_path,
        LINLI_ENV="demo",
        LINLI_SECRET_KEY=None,
        LINLI_SMS_BACKEND=None,
        LINLI_SMS_HTTP_URL=None,
    )
    result = start_asgi(env)
    assert result.returncode == 0, result.stderr


def test_an_unknown_mode_is_refused(tmp_path):
    result = start_asgi(production_env(tmp_path, LINLI_ENV="prod"))
    assert result.returncode != 0
    assert "LINLI_ENV must be one of production, demo, test" in result.stderr


def test_check_deploy_is_clean_in_a_configured_production(tmp_path):
    result = run(
        ["-m", "linli", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_on_the_demo_key_but_a_plain_check_passes(tmp_path):
    env = production_env(tmp_path, LINLI_SECRET_KEY=None)
    deploy = run(["-m", "linli", "check", "--deploy"], env)
    assert deploy.returncode != 0 and "linli.E002" in deploy.stderr
    # The lint's `check` needs no secret key: a checkout is linted as it is.
    plain = run(["-m", "linli", "check", "--fail-level", "WARNING"], env)
    assert plain.returncode == 0, plain.stderr


# --- what production turns on ------------------------------------------------------------

PROBE = r"""
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from linli.notify import selectors
from linli.notify.backends import get_sms_backend
from django.core.management import call_command
from django.test.utils import override_settings
# As in the suite: no collectstatic here, so the plain storage (tests/conftest.py).
override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}).enable()
call_command("migrate", verbosity=0)
client = Client()
page = client.get("/accounts/login/", secure=True, HTTP_HOST="linli.example.gov.cn")
plain = client.get("/accounts/login/", HTTP_HOST="linli.example.gov.cn")
inbox = client.get("/notify/dev-inbox/", secure=True, HTTP_HOST="linli.example.gov.cn")
try:
    settings.LINLI["SMS_BACKEND"] = "console"
    get_sms_backend()
    console = "allowed"
except Exception as exc:
    console = type(exc).__name__
settings.LINLI["DEV_INBOX"] = True
inbox_forced = client.get("/notify/dev-inbox/", secure=True, HTTP_HOST="linli.example.gov.cn")
print(json.dumps({
    "mode": settings.LINLI_ENV,
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "httponly": settings.SESSION_COOKIE_HTTPONLY,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "proxy": getattr(settings, "SECURE_PROXY_SSL_HEADER", None),
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "headers": dict(page.headers),
    "cookies": {k: dict(v) for k, v in page.cookies.items()},
    "inbox_status": inbox.status_code,
    "inbox_forced_status": inbox_forced.status_code,
    "console": console,
}))
"""


def probe(tmp_path: Path, **extra: str) -> dict:
    env = production_env(tmp_path, **extra)
    env["LINLI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'probe.sqlite3'}"
    result = run(["-c", PROBE], env, timeout=180)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    return probe(tmp_path_factory.mktemp("production"))


def test_production_is_the_default_and_turns_https_on(production):
    assert production["mode"] == "production"
    assert production["session_secure"] and production["csrf_secure"] and production["httponly"]
    assert production["ssl_redirect"] and production["plain_status"] == 301
    assert production["plain_location"].startswith("https://linli.example.gov.cn/")
    assert production["hsts"] >= 365 * 24 * 3600
    assert production["proxy"] is None  # trusted only with LINLI_BEHIND_PROXY=1
    headers = production["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Content-Security-Policy" in headers
    assert "wss://linli.example.gov.cn" in headers["Content-Security-Policy"]
    assert "geolocation=(self)" in headers["Permissions-Policy"]
    assert production["cookies"]["csrftoken"]["secure"] is True


def test_production_has_no_dev_inbox_and_no_console_sms(production):
    assert production["inbox_status"] == 404
    assert production["console"] == "ImproperlyConfigured"
    # Even switched on behind the checks' back, the inbox stays shut in production.
    assert production["inbox_forced_status"] == 404


def test_the_proxy_header_is_trusted_only_when_asked(tmp_path):
    env = production_env(tmp_path, LINLI_BEHIND_PROXY="1")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECURE_PROXY_SSL_HEADER)"
    )
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_a_tile_server_is_allowed_for_images(tmp_path):
    env = production_env(
        tmp_path, LINLI_MAP_TILE_URL="https://{s}.tiles.example.cn/{z}/{x}/{y}.png"
    )
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"
    )
    result = run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert "https://*.tiles.example.cn" in result.stdout


# --- the test mode, in this process -------------------------------------------------


@pytest.mark.django_db
def test_pages_carry_the_csp_and_the_other_headers(client):
    response = client.get(reverse("appeals:report"))
    assert response.status_code == 200
    policy = dict(
        (part.split(" ", 1) + [""])[:2] for part in response["Content-Security-Policy"].split("; ")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data: blob:"
    assert policy["connect-src"] == "'self' ws://testserver"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["Permissions-Policy"].startswith(
        "geolocation=(self), camera=(self), microphone=()"
    )
    assert (
        "payment=()" in response["Permissions-Policy"]
        and "usb=()" in response["Permissions-Policy"]
    )
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert 'name="htmx-config"' in response.content.decode()
    assert '"allowEval": false' in response.content.decode()


@pytest.mark.django_db
def test_the_api_and_the_admin_carry_the_csp_too(client):
    for url in ("/api/v1/docs", "/admin/login/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "script-src 'self'" in response["Content-Security-Policy"], url


@pytest.mark.django_db
def test_the_dev_inbox_is_closed_outside_demo_and_test(client, settings):
    settings.LINLI_ENV = "production"
    assert client.get(reverse("notify:dev_inbox")).status_code == 404
    with pytest.raises(ImproperlyConfigured, match="demo or test only"):
        get_sms_backend()


@pytest.mark.django_db
def test_the_dev_inbox_is_off_unless_asked_for(client, settings):
    settings.LINLI = {**settings.LINLI, "DEV_INBOX": False}
    assert client.get(reverse("notify:dev_inbox")).status_code == 404


# --- templates: no inline script, handler or style ------------------------------------

SRC = ROOT / "src" / "linli"


def _templates():
    return sorted(p for p in SRC.rglob("templates/**/*.html"))


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(SRC)))
def test_templates_have_no_inline_script_handler_or_style(path):
    import re

    text = re.sub(r"\{#.*?#\}", "", path.read_text())  # template comments say what is banned
    for match in re.finditer(r"<script\b([^>]*)>", text):
        attrs = match.group(1)
        assert "src=" in attrs or 'type="application/json"' in attrs, (path, match.group(0))
    assert not re.search(r"\son[a-z]+\s*=", text), path
    assert not re.search(r"\sstyle\s*=", text), path
    assert "<style" not in text, path
    assert not re.search(r"\shx-on", text) and "javascript:" not in text, path
    assert not re.search(r"\sx-data", text), path  # Alpine's expressions need 'unsafe-eval'


# --- the helpers --------------------------------------------------------------------------


def test_modes():
    assert hardening.mode_from(None) == "production"
    assert hardening.mode_from("") == "production"
    assert hardening.mode_from(" Demo ") == "demo"
    with pytest.raises(ValueError):
        hardening.mode_from("dev")


def test_secret_key_problems():
    assert hardening.secret_key_problem(hardening.DEMO_SECRET_KEY)
    assert hardening.secret_key_problem("django-insecure-" + "a1b2c3d4e5" * 6)
    assert hardening.secret_key_problem("x" * 60)
    assert hardening.secret_key_problem("short")
    assert hardening.secret_key_problem(GOOD_KEY) == ""


def test_tile_sources():
    assert hardening.tile_source("") == ""
    assert (
        hardening.tile_source("https://tiles.example.cn/{z}/{x}/{y}.png")
        == "https://tiles.example.cn"
    )
    assert hardening.tile_source("http://{s}.osm.example/{z}/{x}/{y}.png") == "http://*.osm.example"
    assert (
        hardening.tile_source("https://t.example:8443/{z}/{x}/{y}.png") == "https://t.example:8443"
    )
    for bad in ("tiles.example.cn/{z}", "https://tiles{s}.example.cn/{z}.png", "data:x"):
        with pytest.raises(ValueError):
            hardening.tile_source(bad)


def test_permissions_policy_header():
    header = hardening.permissions_policy_header(
        {"geolocation": ("self",), "camera": ("self", "https://a.example"), "usb": ()}
    )
    assert header == 'geolocation=(self), camera=(self "https://a.example"), usb=()'
