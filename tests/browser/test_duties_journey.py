"""Journey: a representative logs this week's contacts from the phone-sized
page and sees the count of households still owed fall to zero; the town
cadre then sees them on track in the team table."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from linli.accounts.models import Role
from linli.duties.models import ContactLog
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.support.roles import make_user
from tests.support.twofactor import pass_second_step

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _login(page, base, phone):
    page.goto(f"{base}/accounts/login/")
    assert page.locator("h1").inner_text() == "登录"
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", "pw-test-123")
    page.click("button[type=submit]")
    pass_second_step(page, base, phone)
    page.wait_for_url(f"{base}/")


def test_representative_contacts_every_household_from_a_phone(
    reference_data, county, live_server, page_at
):
    user = make_user("13700000021", "辜大祥", Role.REPRESENTATIVE, county.group_a)
    county.rep_a.user = user
    county.rep_a.save(update_fields=["user"])
    make_user("13700000025", "大瑶镇干部", Role.TOWN, county.town_a)
    base = live_server.url
    linked = [h.head_name for h in county.households_a[:6]]

    # The representative opens "my duties" from the menu on a phone.
    page = page_at(PHONE)
    _login(page, base, user.phone)
    page.click("nav.mainnav a[href='/duties/']")
    page.wait_for_url(f"{base}/duties/")
    count = page.locator("#owed-contacts b")
    rows = page.locator("li.owed-item")
    expect(count).to_have_text("6")
    expect(rows).to_have_count(6)
    assert [r.locator("strong").inner_text() for r in rows.all()] == linked
    assert county.households_a[6].head_name not in page.locator("#owed").inner_text()
    assert page.locator("#owed-visits b").inner_text() == "6"
    screenshot(page, "duties-phone-start")

    # The first contact was a WeChat call: choose how and add a note.
    first = rows.first
    first.locator("details.owed-more summary").click()
    first.locator("input[name=method][value=online]").check()
    first.locator("input[name=note]").fill("微信视频，老人身体好")
    screenshot(page, "duties-phone-options")
    first.locator("button.contacted").click()
    expect(count).to_have_text("5")
    expect(page.locator(".msg-success")).to_contain_text(linked[0])

    # The rest with one tap each: the row goes, the count falls.
    for left in range(4, -1, -1):
        page.locator("li.owed-item button.contacted").first.click()
        expect(count).to_have_text(str(left))
        expect(rows).to_have_count(left)
        if left == 3:
            screenshot(page, "duties-phone-halfway")
    expect(page.locator(".all-done")).to_be_visible()
    # Visits are a monthly duty: phone contacts do not reduce them.
    assert page.locator("#owed-visits b").inner_text() == "6"
    screenshot(page, "duties-phone-done")

    # The history below shows the six contacts at once, and after a reload.
    history = page.locator("#history li.record")
    expect(history).to_have_count(6)
    page.reload()
    expect(count).to_have_text("0")
    expect(history).to_have_count(6)
    assert "微信视频，老人身体好" in page.locator("#history").inner_text()

    contacts = ContactLog.objects.filter(representative=county.rep_a)
    assert sorted(c.household.head_name for c in contacts) == sorted(linked)
    assert {c.method for c in contacts} == {"phone", "online"}

    # The town cadre, at a desk, sees the representative on track this week.
    desk = page_at(DESKTOP)
    _login(desk, base, "13700000025")
    desk.goto(f"{base}/duties/")
    desk.wait_for_url(f"{base}/duties/team/")
    desk.click(".period-tabs a[href*='period=week']")
    desk.wait_for_selector("#rep-table")
    row = desk.locator("#rep-table tr.rep-row")
    expect(row).to_have_count(1)
    assert county.rep_a.name in row.inner_text() and "6/6" in row.inner_text()
    assert county.rep_b.name not in desk.content()
    assert county.village_a.name in desk.locator("#unit-rollup").inner_text()
    screenshot(desk, "duties-team-desktop")

    # Drill down to the representative's page with the records of the week.
    row.locator("a").first.click()
    desk.wait_for_selector(".rep-figures")
    assert desk.locator("h1").inner_text() == county.rep_a.name
    expect(desk.locator("#history li.record")).to_have_count(6)
    screenshot(desk, "duties-rep-desktop")
