"""The Content-Security-Policy holds in a real browser: the main pages, as the roles
that use them, run without a single violation (no inline script, handler or style
left, nothing eval'd by htmx or Leaflet), and every page carries the header.

Each page records `securitypolicyviolation` events from before its first script
(an init script) and the console's CSP errors; the map, photo previews (blob:),
kept photos (data:), htmx swaps and the Django admin are all exercised.
"""

from __future__ import annotations

import pytest

from linli.accounts.models import User, phone_index
from tests.browser.conftest import CSP_VIOLATIONS, DESKTOP, PHONE, RECORD_CSP_VIOLATIONS
from tests.support.factories import RESIDENT_PHONE, appeal, png_bytes
from tests.support.roles import SUPERUSER_PASSWORD, SUPERUSER_PHONE, Actors
from tests.support.twofactor import pass_second_step

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


class Watched:
    """A page that remembers CSP violations, CSP console errors and document headers."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        self.missing_header: list[str] = []
        page.add_init_script(RECORD_CSP_VIOLATIONS)
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.console.append(text)

    def _response(self, response):
        if response.request.resource_type == "document" and response.status < 300:
            if "content-security-policy" not in response.headers:
                self.missing_header.append(response.url)

    def visit(self, url: str):
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        self.assert_clean(url)

    def assert_clean(self, where: str = ""):
        self.page.wait_for_timeout(150)  # violations are reported asynchronously
        violations = self.page.evaluate(CSP_VIOLATIONS)
        assert violations == [], (where or self.page.url, violations)
        assert self.console == [], (where or self.page.url, self.console)
        assert self.missing_header == [], self.missing_header


def _image(name: str, color) -> dict:
    return {"name": name, "mimeType": "image/png", "buffer": png_bytes((64, 48), color=color)}


def _login(page, base, phone, password="pw-test-123"):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    pass_second_step(page, base, phone)
    page.wait_for_url(f"{base}/")


def test_main_pages_run_without_a_csp_violation(
    reference_data, county, live_server, page_at, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    actors = Actors(county)
    base = live_server.url
    household = county.households_a[1]
    mapped = appeal(household, latitude="28.150000", longitude="113.640000")

    # A resident, without an account: the report page with photos picked and kept
    # (thumbnails as data: URLs), the place search (htmx), tracking, the login page.
    resident = Watched(page_at(PHONE))
    resident.visit(f"{base}/report/")
    resident.page.fill("#id_phone", RESIDENT_PHONE)
    resident.page.set_input_files("#id_photos", [_image("a.png", (200, 40, 40))])
    resident.page.fill("#id_place_q", "李畋")
    resident.page.press("#id_place_q", "Enter")
    resident.page.wait_for_selector("#place-results li", state="attached")
    resident.page.click("button[name=send_code]")
    resident.page.wait_for_selector(".held-photo img")
    resident.page.wait_for_function(  # a function: an expression string would be eval'd
        "() => Array.from(document.querySelectorAll('.held-photo img')).every(i => i.naturalWidth > 0)"
    )
    resident.page.click("#use-location")  # the geolocation script runs (and is refused)
    resident.assert_clean("report page")
    resident.visit(f"{base}/track/")
    resident.visit(f"{base}/accounts/login/")
    resident.visit(f"{base}/notify/dev-inbox/?phone={RESIDENT_PHONE}")
    # The language select sends its form from a static script, not an onchange.
    with resident.page.expect_navigation():
        resident.page.select_option("footer select[name=language]", "en")
    assert resident.page.locator("html").get_attribute("lang") == "en"
    resident.assert_clean("language switch")

    # The representative, on a phone: home, duties, a visit with photo previews
    # (blob: URLs), the queue, the appeal with its map, notifications.
    rep = Watched(page_at(PHONE))
    _login(rep.page, base, actors.rep.phone)
    rep.assert_clean("home")
    rep.visit(f"{base}/duties/")
    rep.visit(f"{base}/duties/visits/new/?household={household.pk}")
    rep.page.locator(".camera-input").set_input_files(_image("1.png", (40, 160, 60)))
    rep.page.locator("#id_photos").set_input_files(_image("2.png", (40, 80, 200)))
    rep.page.wait_for_function(
        "() => document.querySelectorAll('#photo-previews img').length === 2 && "
        "Array.from(document.querySelectorAll('#photo-previews img')).every(i => i.naturalWidth > 0)"
    )
    rep.assert_clean("visit form")
    rep.visit(f"{base}/appeals/queue/")
    rep.visit(f"{base}/appeals/{mapped.code}/")
    rep.page.wait_for_selector("#map.leaflet-container .leaflet-marker-icon")
    rep.assert_clean("appeal map")
    rep.visit(f"{base}/notify/")

    # The town, at a desk: the appeal with its map and the unit tree (htmx).
    town = Watched(page_at(DESKTOP))
    _login(town.page, base, actors.town.phone)
    town.visit(f"{base}/appeals/{mapped.code}/")
    town.page.wait_for_selector("#map.leaflet-container")
    town.assert_clean("appeal map (town)")

    # The administrator: the Django admin and the API's page.
    admin = Watched(page_at(DESKTOP))
    admin.visit(f"{base}/admin/login/")
    admin.page.fill("input[name=username]", SUPERUSER_PHONE)
    admin.page.fill("input[name=password]", SUPERUSER_PASSWORD)
    admin.page.click("input[type=submit]")
    pass_second_step(admin.page, base, SUPERUSER_PHONE)
    # The second step lands on the home page; the admin opens once the session is verified.
    admin.page.goto(f"{base}/admin/")
    admin.page.wait_for_url(f"{base}/admin/")
    admin.assert_clean("admin index")
    admin.visit(f"{base}/admin/accounts/user/")
    admin.visit(
        f"{base}/admin/accounts/user/{User.objects.get(phone_hash=phone_index(actors.rep.phone)).pk}/change/"
    )
    admin.visit(f"{base}/api/v1/docs")
    admin.page.wait_for_selector(".swagger-ui .info")
    admin.assert_clean("API docs")
