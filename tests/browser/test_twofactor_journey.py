"""Journey: town staff log in on a 360 px phone for the first time, are made to turn on
two-factor (scan the QR code or type the key, confirm a code, keep the recovery codes),
log in again with password and code, and make a read-only API token on their account
page."""

from __future__ import annotations

import pytest

from linli.accounts.models import ApiToken, Role
from tests.browser.conftest import screenshot
from tests.support.roles import PASSWORD, make_user
from tests.support.twofactor import code_for, enrol, fresh_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_360 = {"width": 360, "height": 780}
NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"


def _password(page, base, phone):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_town_staff_enrol_verify_and_use_the_account_page(county, live_server, page_at):
    base = live_server.url
    town = make_user("13700000051", "大瑶镇干部", Role.TOWN, county.town_a)

    # First login: sent to enrolment, whatever page they try.
    page = page_at(PHONE_360)
    _password(page, base, town.phone)
    page.wait_for_url(f"{base}/accounts/2fa/enrol/*")
    page.goto(f"{base}/org/households/")
    page.wait_for_url(f"{base}/accounts/2fa/enrol/*")
    assert page.locator(".qr svg").count() == 1
    assert page.evaluate(NO_SIDEWAYS), "the enrolment page scrolls sideways at 360 px"
    screenshot(page, "2fa-enrol-phone")

    # The key typed by hand gives the first code.
    secret = page.locator("#otp-secret").inner_text()
    page.fill("input[name=code]", code_for(secret))
    page.click("button[type=submit]")
    codes = page.locator("#recovery-codes li")
    codes.first.wait_for()
    assert codes.count() == 10
    assert page.evaluate(NO_SIDEWAYS)
    screenshot(page, "2fa-recovery-codes-phone")
    page.click("a.btn")
    page.wait_for_url(f"{base}/org/households/")

    # Next login: the password alone is not enough; the code is.
    page = page_at(PHONE_360)
    _password(page, base, town.phone)
    page.wait_for_url(f"{base}/accounts/2fa/verify/*")
    assert page.locator("h1").inner_text() == "双因素验证码"
    page.fill("input[name=code]", fresh_code(enrol(town)))
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    # The account page, from the menu.
    page.click("nav.mainnav >> text=我的账户")
    page.wait_for_url(f"{base}/accounts/me/")
    assert "已开启" in page.locator("#two-factor").inner_text()
    assert town.phone not in page.content()
    page.fill("#id_name", "报表脚本")
    page.check("input[name=scope][value=read]")
    page.click("#api-tokens button[type=submit] >> text=创建令牌")
    key = page.locator("#new-token-key").inner_text()
    token = ApiToken.objects.get(user=town, name="报表脚本")
    assert token.prefix == key[:8] and token.scopes == ["read"]
    assert page.evaluate(NO_SIDEWAYS), "the account page scrolls sideways at 360 px"
    screenshot(page, "account-page-phone")
