"""The command centre's map in a real browser (issue 14): with no tile server at all, a
town leader's map draws the unit outlines and the markers of the town's open appeals and
alarm, without a Content-Security-Policy violation or a console error, at phone and
desktop widths; drilling down to the village keeps its points."""

from __future__ import annotations

import pytest

from linli.accounts.models import Role
from linli.doorbell.models import Alarm
from linli.org.demo import draw_boundaries
from linli.org.models import Household
from tests.browser.conftest import CSP_VIOLATIONS, DESKTOP, PHONE, RECORD_CSP_VIOLATIONS
from tests.support.factories import appeal
from tests.support.roles import PASSWORD, make_user
from tests.support.twofactor import pass_second_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEADER_PHONE = "13710001888"


def _watch(page) -> list[str]:
    """Record CSP violations (window.__csp) and the page's console errors and exceptions.

    The test server speaks no WebSocket: the live badge's socket (notify.js) fails to
    connect on every page; that is not the map's, so it is left out."""
    errors: list[str] = []
    page.add_init_script(RECORD_CSP_VIOLATIONS)

    def console(message):
        if message.type == "error" and "/ws/" not in message.text:
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def _login(page, base, phone):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    pass_second_step(page, base, phone)
    page.wait_for_url(f"{base}/")


def test_the_map_draws_markers_without_tiles_and_without_console_errors(
    reference_data, county, asgi_server, page_at, settings
):
    assert settings.LINLI["MAP_TILE_URL"] == ""
    for i, h in enumerate([*county.households_a, *county.households_b]):
        lat, lng = (28.10, 113.60) if h.unit_id == county.group_a.pk else (28.40, 113.90)
        Household.objects.filter(pk=h.pk).update(latitude=lat + i / 1000, longitude=lng + i / 1000)
    mine = [appeal(h, title=f"大瑶{i}") for i, h in enumerate(county.households_a[:3])]
    other = appeal(county.households_b[0], title="永和")
    h = county.households_a[4]
    Alarm.objects.create(household=h, unit=h.unit, status="notified")
    draw_boundaries()
    make_user(LEADER_PHONE, "大瑶镇长", Role.TOWN, county.town_a)
    base = asgi_server.url

    for viewport in (PHONE, DESKTOP):
        page = page_at(viewport)
        errors = _watch(page)
        _login(page, base, LEADER_PHONE)
        page.goto(f"{base}/map/")
        page.wait_for_selector("#dmap[data-ready='1']", state="attached", timeout=10_000)
        # Three appeals and the alarm; no tile was asked for.
        assert page.get_attribute("#dmap", "data-points") == "4"
        assert page.locator("img.leaflet-tile").count() == 0
        # Zoomed in, the clusters open into markers: one alarm, the appeals by status.
        assert page.locator(".leaflet-marker-icon").count() >= 1
        assert page.locator(".mk.alarm").count() == 1
        # The town's outline and its village's, labelled.
        assert page.locator("path.leaflet-interactive").count() >= 2
        assert county.village_a.name in page.locator(".unit-label").all_inner_texts()
        assert county.village_b.name not in page.content()
        page.wait_for_timeout(150)
        assert page.evaluate(CSP_VIOLATIONS) == []
        assert errors == []

    # Drill down to the village from the form: the same points, the village alone.
    page.select_option("select[name=unit]", str(county.village_a.pk))
    page.click("#map-filters button[type=submit]")
    page.wait_for_selector("#dmap[data-ready='1']", state="attached", timeout=10_000)
    assert page.get_attribute("#dmap", "data-points") == "4"
    assert f"unit={county.village_a.pk}" in page.url
    page.wait_for_timeout(150)
    assert page.evaluate(CSP_VIOLATIONS) == []
    assert errors == []
    assert other.code not in page.content()
    assert mine
