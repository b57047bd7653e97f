"""The big screen (大屏) for the command room's wall, in Chromium at 1920x1080 and 360 px:
the figures in large type on a dark page, the views turning (figures, map, alarms), a new
appeal counted without a reload, no CSP violation and no page error."""

from __future__ import annotations

import pytest

from linli.org.models import Household
from tests.browser.conftest import CSP_VIOLATIONS, RECORD_CSP_VIOLATIONS, screenshot
from tests.browser.test_centre_live import _login
from tests.support import factories
from tests.support.roles import Actors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WALL = {"width": 1920, "height": 1080}


def test_the_big_screen_turns_its_views_and_counts_a_new_appeal_live(
    reference_data, county, asgi_server, browser
):
    actors = Actors(county)
    for i, h in enumerate(county.households_a):
        Household.objects.filter(pk=h.pk).update(latitude=28.10 + i / 1000, longitude=113.60)
    factories.appeal(county.households_a[1], description="路灯不亮，晚上很黑。")
    base = asgi_server.url
    page = browser.new_context(viewport=WALL, locale="zh-CN").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    _login(page, base, actors.city.phone)
    page.goto(f"{base}/dashboard/centre/?unit={county.city.pk}")
    page.click("text=大屏")
    page.wait_for_selector("body.screen[data-showing='figures']")
    page.wait_for_function(
        "() => (document.getElementById('centre-live-state') || {textContent: ''}).textContent === '实时'",
        timeout=15000,
    )
    assert page.locator("#screen-open").inner_text() == "1"
    # Large enough to read across the room: the figures are at least 60 px high.
    size = page.evaluate(
        "() => parseFloat(getComputedStyle(document.getElementById('screen-open')).fontSize)"
    )
    assert size >= 60, size
    screenshot(page, "centre-screen-figures-1920")

    factories.appeal(county.households_a[2], description="井盖松动，请尽快处理。")
    page.wait_for_function(
        "() => (document.getElementById('screen-open') || {textContent: ''}).textContent.trim() === '2'",
        timeout=5000,
    )

    page.click("[data-go=map]")
    page.wait_for_selector("body[data-showing='map'] #dmap[data-ready='1']", timeout=15000)
    assert int(page.locator("#dmap").get_attribute("data-points")) == 2
    page.wait_for_timeout(900)  # the view fades in (0.6 s)
    screenshot(page, "centre-screen-map-1920")
    page.click("[data-go=alarms]")
    page.wait_for_selector("body[data-showing='alarms']")
    assert page.evaluate(CSP_VIOLATIONS) == []
    assert not errors, errors

    phone = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN").new_page()
    _login(phone, base, actors.city.phone)
    phone.goto(f"{base}/dashboard/screen/?unit={county.city.pk}")
    phone.wait_for_selector("body[data-showing='figures']")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "centre-screen-360")
