"""A real Chromium (Debian's) driven by Playwright, against the live test server."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.support.asgi_server import asgi_server, redis_channel_layer  # noqa: F401 (fixtures)
from tests.support.services import require_service

# Playwright's sync API runs an event loop in this thread; Django's ORM calls
# made by the test itself must still be allowed.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(
    os.environ.get("LINLI_SCREENSHOTS", Path(__file__).resolve().parents[2] / "var" / "screenshots")
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def chromium_path() -> str | None:
    candidate = os.environ.get("LINLI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if candidate and Path(candidate).exists() else None


# Module scope, not session: Playwright's sync API keeps an event loop running
# in this thread while it is open, which would break later async_to_sync calls
# (the WebSocket consumer tests).
@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    require_service(
        "chromium",
        path is not None,
        "Debian's chromium is not installed (apt-get install chromium)",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_at(browser):
    """Open a page of the given viewport size; all pages are closed after the test."""
    contexts = []

    def make(viewport=PHONE, locale="zh-CN"):
        context = browser.new_context(viewport=viewport, locale=locale)
        contexts.append(context)
        return context.new_page()

    yield make
    # Leave every page first (a service worker or a script may still be fetching),
    # then give the live server's threads a moment to answer what is in flight:
    # the test database is flushed right after this, and a request that reaches
    # it mid-flush finds its tables locked (SQLite) or gone.
    for c in contexts:
        for p in c.pages:
            try:
                p.goto("about:blank", timeout=5000)
            except Exception:  # noqa: BLE001 - a page that cannot leave is closed anyway
                pass
        c.close()
    if contexts:
        time.sleep(0.5)


# An init script (it runs before any of the page's own) that keeps every
# Content-Security-Policy violation the page reports in window.__csp.
RECORD_CSP_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    " at " + e.sourceFile + ":" + e.lineNumber);
});
"""
CSP_VIOLATIONS = "() => window.__csp || []"


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(out), full_page=True)
    return out
