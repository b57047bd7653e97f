"""The command centre live (issue 14), the whole path with no fake: the city leader's
dashboard and map are open in one browser; a villager files an appeal from a phone in
another browser context; within 2 s of being filed it is counted on the dashboard and
drawn on the map, without a reload (uvicorn with the real consumers, the in-memory
channel layer as in `serve`)."""

from __future__ import annotations

import re
import time

import pytest

from linli.appeals.models import Appeal
from linli.org.models import Household
from tests.browser.conftest import DESKTOP
from tests.browser.test_manhole_journey import SMALL_PHONE, _choose
from tests.support.factories import RESIDENT_PHONE
from tests.support.roles import PASSWORD, Actors
from tests.support.twofactor import pass_second_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE_TEXT = "实时"


def _login(page, base: str, phone: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    pass_second_step(page, base, phone)
    page.wait_for_url(f"{base}/")


def test_a_new_appeal_appears_on_the_city_map_within_two_seconds(
    reference_data, county, asgi_server, browser
):
    actors = Actors(county)
    for i, h in enumerate(county.households_a):
        Household.objects.filter(pk=h.pk).update(latitude=28.10 + i / 1000, longitude=113.60)
    base = asgi_server.url

    leader = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    errors: list[str] = []
    leader.on("pageerror", lambda e: errors.append(str(e)))
    _login(leader, base, actors.city.phone)
    leader.goto(f"{base}/map/?unit={county.city.pk}")
    leader.wait_for_selector("#dmap[data-ready='1']", timeout=15000)
    leader.wait_for_function(
        "() => (document.getElementById('centre-live-state') || {textContent: ''}).textContent.includes('实时')"
        " && !document.getElementById('centre-live-state').classList.contains('offline')",
        timeout=15000,
    )
    before = int(leader.locator("#dmap").get_attribute("data-points") or "0")
    dashboard = leader.context.new_page()
    dashboard.on("pageerror", lambda e: errors.append(str(e)))
    dashboard.goto(f"{base}/dashboard/centre/?unit={county.city.pk}")
    dashboard.wait_for_function(
        "() => (document.getElementById('centre-live-state') || {textContent: ''}).textContent.includes('实时')",
        timeout=15000,
    )
    open_before = int(dashboard.locator("#centre-open").inner_text())

    # The villager, in a context of their own, with the phone's location allowed.
    villager_context = browser.new_context(
        viewport=SMALL_PHONE,
        locale="zh-CN",
        geolocation={"latitude": 28.105, "longitude": 113.605},
        permissions=["geolocation"],
    )
    villager = villager_context.new_page()
    villager.goto(f"{base}/report/")
    villager.fill("#id_phone", RESIDENT_PHONE)
    villager.select_option("#id_category", "facilities")
    villager.fill("#id_description", "村口的井盖松动破损，晚上有人踩空，很危险")
    _choose(villager, "town", county.town_a.pk)
    _choose(villager, "village", county.village_a.pk)
    villager.fill("#id_address", "李畋村村口")
    villager.click("#use-location")
    villager.wait_for_function("() => document.getElementById('id_latitude').value !== ''")
    villager.click("button[name=send_code]")
    villager.wait_for_selector("text=验证码已发送")
    inbox = villager_context.new_page()
    inbox.goto(f"{base}/notify/dev-inbox/?phone={RESIDENT_PHONE}")
    code = re.search(r"验证码是 (\d{6})", inbox.content()).group(1)
    villager.fill("#id_code", code)
    villager.click("form.report button[type=submit]:not([name])")
    villager.wait_for_url(re.compile(r".*/track/\w+/$"))
    filed_at = time.monotonic()
    case = villager.locator(".case-code strong").inner_text()
    assert Appeal.objects.get(code=case).latitude is not None

    # On the leader's dashboard and map, without a reload, within 2 s.
    dashboard.wait_for_function(
        f"() => (document.getElementById('centre-open') || {{textContent: ''}}).textContent.trim() === '{open_before + 1}'",
        timeout=2000,
    )
    print(
        f"appeal {case} counted on the dashboard {(time.monotonic() - filed_at) * 1000:.0f} ms after filing"
    )
    leader.wait_for_function(
        f"() => (document.getElementById('dmap').dataset.codes || '').split(' ').includes('{case}')",
        timeout=2000,
    )
    seen_after = time.monotonic() - filed_at
    print(f"appeal {case} on the city map {seen_after * 1000:.0f} ms after filing")
    assert seen_after < 2.0, seen_after
    assert int(leader.locator("#dmap").get_attribute("data-points")) == before + 1
    assert not errors, errors
