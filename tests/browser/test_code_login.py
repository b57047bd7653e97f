"""A representative's first login, on a cheap phone (360 px): the town appointed them
with their mobile, which made their account without a password; they open the login
page, choose 短信验证码登录, get the code by SMS (the outbox, as the dev inbox shows
it) and land on their home page. The pages pass the sweep's checks on the way."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from linli.accounts.models import Role
from linli.core.crypto import blind_index
from linli.notify.models import Outbox
from linli.org import services
from tests.browser.test_org_forms import check
from tests.browser.test_sweep import AXE, WIDTHS
from tests.support.factories import valid_id_number
from tests.support.roles import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13712345678"


def test_a_representative_logs_in_the_first_time_with_a_code(
    reference_data, county, live_server, page_at
):
    assert AXE.exists(), "run `npm install` (or `make assets`): axe-core is missing"
    cache.clear()
    town = make_user("13600000009", "大瑶镇干部", Role.TOWN, county.town_a)
    member = services.member_create(
        actor=town,
        household=county.households_a[3],
        name="李新代表",
        relation="head",
        id_number=valid_id_number(77),
        phone=PHONE,
    )
    rep = services.representative_appoint(actor=town, member=member, unit=county.group_a)
    assert rep.user is not None and not rep.user.has_usable_password()

    base = live_server.url
    page = page_at(WIDTHS["phone"])
    page.goto(f"{base}/accounts/login/")
    page.click("text=短信验证码登录")
    page.wait_for_url(f"{base}/accounts/login/code/")
    problems = check(page, "code_login")
    page.fill("input[name=phone]", PHONE)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/accounts/login/code/verify/")
    assert page.locator("text=137****5678").first.is_visible()
    problems += check(page, "code_verify")

    sms = Outbox.objects.filter(address_hash=blind_index(PHONE), kind="auth.code").latest("id")
    code = re.search(r"\d{6}", sms.body).group(0)  # type: ignore[union-attr]
    page.fill("input[name=code]", code)
    page.click("main form button[type=submit]:not([name=resend])")
    page.wait_for_url(f"{base}/accounts/login/code/password/")
    problems += check(page, "code_password")
    assert not problems, "\n".join(problems)

    page.click("text=暂不设置")
    page.wait_for_url(f"{base}/")
    assert page.locator("header").get_by_text("李新代表").is_visible()
