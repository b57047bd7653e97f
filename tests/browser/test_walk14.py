"""A stranger's walk of the command centre (issue 14), in Chromium: the charts' series
named in the page's language, a date typed in choosing "Custom", the big screen's rates
inside their cards at 1280 px and reachable by scrolling at 360 px."""

from __future__ import annotations

import pytest

from tests.browser.test_centre_live import _login
from tests.support import factories
from tests.support.roles import Actors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEGEND = """() => {
  const el = document.querySelector('[data-chart=trend]');
  const chart = el && window.echarts && window.echarts.getInstanceByDom(el);
  return chart ? chart.getOption().legend[0].data : null;
}"""


@pytest.mark.parametrize(
    "locale,names",
    [("zh-CN", ["受理", "结案"]), ("en", ["Filed (appeals)", "Closed (appeals)"])],
)
def test_the_trend_chart_names_its_series_in_the_pages_language(
    reference_data, county, asgi_server, browser, locale, names
):
    actors = Actors(county)
    factories.appeal(county.households_a[1], description="路灯不亮，晚上很黑。")
    base = asgi_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, base, actors.city.phone)
    page.goto(f"{base}/dashboard/centre/?unit={county.city.pk}")
    legend = None
    for _ in range(50):  # the charts draw once the data endpoint answers
        legend = page.evaluate(LEGEND)
        if legend is not None:
            break
        page.wait_for_timeout(100)
    assert legend == names
    # A date typed in: "Show" keeps it (the period becomes Custom, not This month).
    page.fill("input[name=start]", "2026-01-01")
    page.dispatch_event("input[name=start]", "change")
    assert page.eval_on_selector("select[name=period]", "s => s.value") == "custom"
    assert not errors, errors


def test_the_big_screens_rates_fit_their_cards_and_scroll_on_a_phone(
    reference_data, county, asgi_server, browser
):
    actors = Actors(county)
    base = asgi_server.url
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    _login(desk, base, actors.city.phone)
    desk.goto(f"{base}/dashboard/screen/?unit={county.city.pk}")
    desk.wait_for_selector("body[data-showing='figures']")
    # The widest a rate can be, whatever the test's figures are.
    desk.eval_on_selector_all(
        ".screen-grid.rates .big b", "bs => bs.forEach(b => { b.textContent = '100.0%'; })"
    )
    spill = desk.evaluate(
        """() => Array.from(document.querySelectorAll('.screen-grid .big b'))
             .filter(b => b.scrollWidth > b.clientWidth + 1).length"""
    )
    assert spill == 0

    phone = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN").new_page()
    _login(phone, base, actors.city.phone)
    phone.goto(f"{base}/dashboard/screen/?unit={county.city.pk}")
    phone.wait_for_selector("body[data-showing='figures']")
    # The last rate card starts below the fold; a finger (the wheel here) brings it up.
    last = phone.locator(".screen-grid.rates .big").last
    box = last.bounding_box()
    assert box is not None and box["y"] + box["height"] > 780
    phone.mouse.move(180, 400)
    phone.mouse.wheel(0, 2000)
    phone.wait_for_timeout(300)
    box = last.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 781
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
