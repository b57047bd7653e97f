"""Journey: a village cadre logs in on a phone and finds the uncovered households."""

import pytest

from linli.accounts.models import Role
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.support.roles import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_village_cadre_sees_uncovered_households_on_the_coverage_page(county, live_server, page_at):
    make_user("13700000001", "李畋村干部", Role.VILLAGE, county.village_a)

    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = page_at(viewport)
        page.goto(f"{live_server.url}/accounts/login/")
        assert page.locator("h1").inner_text() == "登录"
        page.fill("input[name=username]", "13700000001")
        page.fill("input[name=password]", "pw-test-123")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        assert "李畋村干部" in page.content()

        page.click("text=覆盖情况")
        page.wait_for_selector("#uncovered-table")
        assert page.locator("#uncovered-count b").inner_text() == "1"
        rows = page.locator("#uncovered-table tbody tr")
        assert rows.count() == 1
        assert "李6" in rows.first.inner_text()
        # Nothing of the other town leaks into the cadre's page.
        assert "佳成村" not in page.content()
        screenshot(page, f"coverage-{name}")

        # The uncovered household opens, and shows it has no representative.
        rows.first.locator("a").click()
        page.wait_for_selector("text=代表变更历史")
        screenshot(page, f"household-{name}")
