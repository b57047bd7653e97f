"""Journey (issue 12): a service-day deliberation meeting, from the calendar to the
public notice board, walked through the pages only.

A village cadre at a desk sets the village's service day on the activities page and
plans a deliberation meeting (睦邻议事会) on the next one, organised by the village's
representatives; proposes an item on the deliberation list (议事清单) and puts it on
that meeting's agenda. Two residents sign up for the meeting from a 360 px phone with
an SMS code (a third, with a wrong code, is told so in Chinese). On the day the cadre
takes the attendance and marks the meeting held (the representatives' duties record
is made). The vote at that meeting lacks a quorum, so the item stays on the agenda; put
on the next month's meeting, it passes, is decided, carried out and made public. A
visitor on a phone finds it on the town's public notice board and comments on it.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from linli.accounts.models import Role
from linli.activities.models import Activity, ActivityKind
from linli.deliberation.models import Comment, Item, Vote
from linli.duties.models import Deliberation
from tests.browser.conftest import DESKTOP, screenshot
from tests.support.clock import Clock
from tests.support.factories import add_representatives
from tests.support.roles import make_user

SMALL_PHONE = {"width": 360, "height": 780}
CADRE = "13700000031"
RESIDENTS = [("周小梅", "13912345601"), ("黄建国", "13912345602")]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _login(page, base, phone):
    page.goto(f"{base}/")
    page.click("text=登录")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", "pw-test-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _no_error(page):
    try:
        page.wait_for_selector(".messages", timeout=8000)
    except Exception:
        screenshot(page, "journey12-debug")
        raise
    assert "msg-error" not in page.content(), page.locator(".messages").inner_text()


WIDEST = """() => [...document.querySelectorAll('main *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _fits(page, width=360):
    # After the stylesheets: measured before they apply, a table hidden on phones
    # (the calendar's month grid) is laid out at its full width.
    page.wait_for_load_state("load")
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, page.evaluate(WIDEST)


def _code(page, base, phone):
    page.goto(f"{base}/notify/dev-inbox/?phone={phone}")
    return re.findall(r"验证码是 (\d{6})", page.content())[-1]


def _step(page, label, **fields):
    """Open one of the item's next steps by its label, fill it in and send it."""
    details = page.locator("section.actions details").filter(
        has=page.locator(f"summary:text-is('{label}')")
    )
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    form = details.locator("form")
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            # A meeting is chosen by its local time and title, e.g. "… 19:00 十二月睦邻议事会 · …".
            option = field.locator("option").filter(has_text=value)
            assert "19:00" in option.inner_text()
            field.select_option(option.get_attribute("value"))
        else:
            field.fill(str(value))
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".messages")


def _move_today(monkeypatch, clock, day):
    """Move "today" of the activities, deliberation and duties code (the live server
    runs in this process) to the meeting's day."""
    from linli.activities import selectors as a_selectors
    from linli.activities import services as a_services
    from linli.activities import views as a_views
    from linli.deliberation import services as d_services

    clock.set(day)
    for module in (a_selectors, a_services, a_views, d_services):
        monkeypatch.setattr(module, "today", lambda: day)


def _plan_meeting(page, base, county, title, day, reps):
    page.click("nav.mainnav >> text=活动")
    page.wait_for_url(re.compile(r".*/activities/.*"))
    page.click("text=安排活动")
    page.select_option("#id_kind", ActivityKind.DELIBERATION.value)
    page.fill("#id_title", title)
    page.fill("#id_place", "李畋村党群服务中心")
    page.fill("#id_day", day.isoformat())
    page.select_option("#id_start", "19:00")
    page.select_option("#id_end", "21:00")
    page.fill("#id_capacity", "3")
    for rep in reps:
        page.check(f"#line-fields label:has-text('{rep.name}') input")
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r".*/activities/\d+/$"))
    _no_error(page)
    return Activity.objects.get(title=title)


def test_a_service_day_meeting_decides_an_item_that_residents_see_on_the_board(
    reference_data, county, live_server, page_at, monkeypatch
):
    base = live_server.url
    make_user(CADRE, "李畋村干部", Role.VILLAGE, county.village_a)
    # Three representatives serve in 李畋村: the quorum (2/3) needs two of them.
    reps = [county.rep_a, *add_representatives(county, 2)]
    clock = Clock(monkeypatch)

    # 1. The cadre logs in at a desk, opens 活动 and sets the village's service day:
    #    the 15th of each month.
    desk = page_at(DESKTOP)
    _login(desk, base, CADRE)
    desk.click("nav.mainnav >> text=活动")
    desk.wait_for_url(re.compile(r".*/activities/.*"))
    assert "李畋村" in desk.locator("h1").inner_text()
    desk.click("#service-day >> text=设置服务日")
    desk.check("input[name=kind][value=month_day]")
    desk.select_option("#id_month_day", "15")
    desk.click("form.duty-form button[type=submit]")
    _no_error(desk)
    assert "每月15号" in desk.locator("#service-day").inner_text()
    chips = desk.locator("#service-day .chip").all_inner_texts()
    days = [dt.date.fromisoformat(c.split()[0]) for c in chips]
    days = [d for d in days if d > dt.date.today()]
    first_day, second_day = days[0], days[1]
    screenshot(desk, "journey12-calendar-desktop")

    # ... and plans the meeting on the next service day, organised by the representatives.
    meeting = _plan_meeting(desk, base, county, "十二月睦邻议事会", first_day, reps)
    assert meeting.kind == ActivityKind.DELIBERATION and meeting.on_service_day
    assert set(meeting.organisers.all()) == set(reps)
    expect(desk.locator("#places-left")).to_have_text("3")
    screenshot(desk, "journey12-meeting-desktop")

    # 2. The cadre proposes an item on the deliberation list and puts it on the agenda.
    desk.click("nav.mainnav >> text=议事清单")
    desk.wait_for_url(f"{base}/deliberation/")
    desk.click("text=提出议事事项")
    desk.fill("#id_title", "村道一组段路灯安装")
    desk.fill("#id_description", "一组村道夜间无照明，拟安装路灯12盏，费用由村集体承担")
    desk.click("form button[type=submit]")
    desk.wait_for_url(re.compile(r".*/deliberation/items/\d+/$"))
    _no_error(desk)
    item = Item.objects.get(title="村道一组段路灯安装")
    _step(desk, "列入议事会议程", meeting=f"{meeting.title}")
    _no_error(desk)
    item.refresh_from_db()
    assert item.meeting == meeting and item.stage == "scheduled"
    screenshot(desk, "journey12-item-desktop")

    # 3. Two residents sign up on a small phone, each with a code from the SMS.
    for name, phone in RESIDENTS:
        resident = page_at(SMALL_PHONE)
        resident.goto(f"{base}/activities/{meeting.pk}/")
        left = int(resident.locator("#places-left").inner_text())
        resident.fill("#id_name", name)
        resident.fill("#id_phone", phone)
        resident.click("button[name=action][value=code]")
        _no_error(resident)
        inbox = page_at(SMALL_PHONE)
        code = _code(inbox, base, phone)
        resident.fill("#id_code", code)
        if name == RESIDENTS[0][0]:
            _fits(resident)
            screenshot(resident, "journey12-signup-phone")
        resident.click("button[name=action][value=signup]")
        _no_error(resident)
        expect(resident.locator("#places-left")).to_have_text(str(left - 1))
    # A third with a wrong code is told so, in Chinese, with the form as it was left.
    third = page_at(SMALL_PHONE)
    third.goto(f"{base}/activities/{meeting.pk}/")
    third.fill("#id_name", "吴三")
    third.fill("#id_phone", "13912345603")
    third.click("button[name=action][value=code]")
    _no_error(third)
    third.fill("#id_code", "000000" if _code(page_at(), base, "13912345603") != "000000" else "1")
    third.click("button[name=action][value=signup]")
    error = third.locator("#phone-signup .errorlist.nonfield")
    expect(error).to_contain_text("验证码")
    assert third.locator("#id_name").input_value() == "吴三"
    expect(third.locator("#places-left")).to_have_text("1")
    _fits(third)
    screenshot(third, "journey12-signup-error-phone")

    # 4. On the day: the cadre takes the attendance and marks the meeting held.
    _move_today(monkeypatch, clock, first_day)
    desk.goto(f"{base}/activities/{meeting.pk}/")
    desk.click("text=活动当天：签到、照片、成效")
    for name, _phone in RESIDENTS:
        desk.check(f"#attendance label:has-text('{name}') input")
    desk.fill("#id_walk_ins", "1")
    desk.click("#attendance button[type=submit]")
    _no_error(desk)
    assert desk.locator("#attendance h2").inner_text().endswith("3")
    desk.fill("#id_outcome", "讨论一组路灯安装，到会代表不足，下次会议再表决")
    desk.click("#held button[type=submit]")
    _no_error(desk)
    screenshot(desk, "journey12-manage-desktop")
    meeting.refresh_from_db()
    assert meeting.status == "held" and meeting.deliberation_id
    record = Deliberation.objects.get(pk=meeting.deliberation_id)
    assert record.attendee_count == 3 and record.topic == meeting.title

    # 5. From the meeting to its agenda, and the item on it.
    desk.click("text=会议议程（议事清单）")
    expect(desk.locator("#agenda-of")).to_contain_text(meeting.title)
    expect(desk.locator("#item-rows")).to_contain_text(item.title)
    screenshot(desk, "journey12-agenda-desktop")
    desk.click(f"#item-rows >> text={item.title}")
    # The discussion and a vote without a quorum: the item stays on the agenda.
    _step(desk, "记录讨论情况", note="代表认为有必要，需核实费用")
    _no_error(desk)
    _step(desk, "记录表决", present=1, votes_for=1, votes_against=0, votes_abstain=0)
    messages = desk.locator(".messages").inner_text()
    assert "法定人数" in messages, messages
    item.refresh_from_db()
    assert item.stage == "scheduled" and Vote.objects.get(item=item).quorum_met is False
    screenshot(desk, "journey12-no-quorum-desktop")

    # A second meeting, on the next service day; the item goes on its agenda and passes.
    second = _plan_meeting(desk, base, county, "一月睦邻议事会", second_day, reps)
    desk.click("nav.mainnav >> text=议事清单")
    desk.click(f"text={item.title}")
    _step(desk, "列入议事会议程", meeting=second.title)
    _no_error(desk)
    _move_today(monkeypatch, clock, second_day)
    _step(desk, "记录讨论情况", note="费用已核实，约3.6万元")
    _no_error(desk)
    _step(desk, "记录表决", present=3, votes_for=3, votes_against=0, votes_abstain=0)
    _no_error(desk)
    _step(desk, "记录决定", decision="同意安装路灯12盏，由村委会组织实施")
    _no_error(desk)
    _step(desk, "标记为已实施", note="12盏路灯已安装并通电")
    _no_error(desk)
    _step(desk, "公示", notice_days=7)
    _no_error(desk)
    item.refresh_from_db()
    assert item.stage == "published" and item.passed
    screenshot(desk, "journey12-published-desktop")

    # The same pages fit a cadre's 360 px phone: the calendar, the meeting, the item.
    phone = page_at(SMALL_PHONE)
    _login(phone, base, CADRE)
    phone.click("nav.mainnav >> text=活动")
    phone.wait_for_selector("#service-day")
    _fits(phone)
    screenshot(phone, "journey12-calendar-phone")
    phone.goto(f"{base}/activities/{second.pk}/manage/")
    _fits(phone)
    screenshot(phone, "journey12-manage-phone")
    phone.goto(f"{base}/deliberation/items/{item.pk}/")
    _fits(phone)
    screenshot(phone, "journey12-item-phone")

    # 6. A visitor on a phone opens the town's public notice board, the item and comments.
    #    From the meeting's public page (where residents signed up) to the village's board:
    visitor = page_at(SMALL_PHONE)
    visitor.goto(f"{base}/activities/{second.pk}/")
    visitor.click("#board-link")
    visitor.wait_for_url(f"{base}/deliberation/public/{county.village_a.pk}/")
    assert item.title in visitor.locator("main").inner_text()
    #    and the town's board, the address posted on the town's notices:
    visitor.goto(f"{base}/deliberation/public/{county.town_a.pk}/")
    board = visitor.locator("main").inner_text()
    assert item.title in board and "同意安装路灯" in board and "赞成 3" in board
    _fits(visitor)
    screenshot(visitor, "journey12-board-phone")
    visitor.click(f"text={item.title}")
    visitor.wait_for_url(re.compile(r".*/deliberation/public/items/\d+/$"))
    visitor.fill("#id_name", "周小梅")
    visitor.fill("#id_text", "晚上出门终于亮堂了，谢谢村里")
    visitor.click("form button[type=submit]")
    _no_error(visitor)
    assert "终于亮堂了" in visitor.locator("main").inner_text()
    _fits(visitor)
    screenshot(visitor, "journey12-public-item-phone")
    assert Comment.objects.filter(item=item, name="周小梅").exists()
