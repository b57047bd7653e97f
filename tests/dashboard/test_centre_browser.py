"""The command centre in a real Chromium, at 360 px and 1280 px: the charts draw under
the CSP (no inline script), the tables are there, drill-down works. Served by uvicorn
(`asgi_server`), as `serve` does: the page's live socket is answered, and the sync
views run one at a time on the test's SQLite connection (WSGI's live_server ran the
page, its data request and the socket's attempt at once on that one connection)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client

from linli.appeals.models import Category
from tests.browser.conftest import (  # noqa: F401 (fixtures)
    CSP_VIOLATIONS,
    RECORD_CSP_VIOLATIONS,
    browser,
    page_at,
    screenshot,
)
from tests.dashboard.test_centre import at, made, world  # noqa: F401 (fixture)
from tests.support.asgi_server import asgi_server  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def more_appeals(w):
    """A few more appeals over March, in other categories, so the charts show a shape."""
    cats = list(Category.objects.filter(parent__isnull=True).order_by("pk")[:4])
    for i in range(14):
        made(
            w.county.households_a[i % 6] if i % 3 else w.county.households_b[i % 4],
            w.county.group_a if i % 3 else w.county.group_b,
            created_at=at("2026-03-01") + dt.timedelta(days=2 * i, hours=i),
            status="pending" if i % 4 else "in_progress",
            level="group",
            category=cats[i % len(cats)],
        )


def test_the_centre_reads_well_on_a_phone_and_a_desktop(
    reference_data,
    world,  # noqa: F811
    asgi_server,  # noqa: F811
    page_at,  # noqa: F811
):
    more_appeals(world)
    for name, viewport in (("360", PHONE), ("1280", DESKTOP)):
        page = page_at(viewport)
        page.add_init_script(RECORD_CSP_VIOLATIONS)
        # Signed in as the city's command centre (its second factor is not this test's).
        client = Client()
        client.force_login(world.city)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": asgi_server.url}]
        )
        page.goto(f"{asgi_server.url}/")
        page.click("nav.mainnav >> text=指挥调度中心")
        page.wait_for_selector("h1:has-text('指挥调度中心')")
        # Let its charts' data request finish before leaving: the live server shares one
        # SQLite connection between its threads, and two requests at once would block.
        page.wait_for_selector("[data-chart=trend] canvas", timeout=10000)
        page.wait_for_load_state("networkidle")
        page.goto(
            f"{asgi_server.url}/dashboard/centre/?period=custom&start=2026-03-01&end=2026-03-31"
        )
        # ECharts draws into a canvas once the JSON data has arrived.
        for chart in ("trend", "categories", "hotspots"):
            page.wait_for_selector(f"[data-chart={chart}] canvas", timeout=10000)
        page.wait_for_load_state("networkidle")
        assert page.evaluate(CSP_VIOLATIONS) == []
        # At 360 px nothing is wider than the screen but the tables' own scrollers.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, width
        screenshot(page, f"centre-city-{name}")
        # Drill down to town A from the units below.
        page.click(f"table.cards >> text={world.county.town_a.name}")
        page.wait_for_selector(f"h1:has-text('{world.county.town_a.name}')")
        page.wait_for_selector("[data-chart=trend] canvas", timeout=10000)
        page.wait_for_load_state("networkidle")
        assert world.county.village_b.name not in page.content()
        screenshot(page, f"centre-town-{name}")
        # Dispatch without leaving the page: an overdue appeal's panel opens in place
        # with the leader's actions (the city is above the town's levels).
        item = page.locator("details.dispatch-item").first
        item.locator("summary").click()
        item.locator("summary[data-action=supervise]").wait_for(timeout=10000)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, width
        assert page.evaluate(CSP_VIOLATIONS) == []
        screenshot(page, f"centre-dispatch-{name}")
