"""Journey: the seed's manhole story, end to end in a real browser.

A villager who is not in the register reports a loose, broken manhole cover
from a 360 px phone, choosing town › village › area › group on the form (a
mistyped code brings the form back as it was left); the group's representative
finds it in their queue and claims it, records the warning poles put up on site
and escalates; the village passes it to the town, which refers it to the housing
department; the department answers; the town resolves it; the villager rates
it; and the appeal shows the whole timeline.
"""

from __future__ import annotations

import re

import pytest

from linli.accounts.models import User
from linli.appeals.models import Appeal
from linli.org import services as org_services
from linli.org.models import UnitKind
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.support.factories import RESIDENT_PHONE, png_bytes
from tests.support.roles import Actors
from tests.support.twofactor import pass_second_step

SMALL_PHONE = {"width": 360, "height": 780}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _login(page, base, phone):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", "pw-test-123")
    page.click("button[type=submit]")
    pass_second_step(page, base, phone)
    page.wait_for_url(f"{base}/")


def _open_from_queue(page, base, code, shot=""):
    page.click("nav.mainnav >> text=诉求")
    page.wait_for_url(f"{base}/appeals/queue/")
    if shot:
        screenshot(page, shot)
    page.click(f"a[href='/appeals/{code}/']")
    page.wait_for_selector("text=办理过程")


def _act(page, action, note, photo=None, select=None):
    page.click(f"summary[data-action={action}]")
    form = page.locator(f"details.action-{action} form")
    if select:
        form.locator("select").select_option(label=select)
    form.locator("textarea").fill(note)
    if photo:
        form.locator("input[type=file]").set_input_files(photo)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".messages")
    assert "msg-error" not in page.content(), page.locator(".messages").inner_text()


def _choose(page, name, value):
    """Choose in one select of the place picker and wait for the server to re-draw it."""
    with page.expect_response(lambda r: "/report/units/" in r.url):
        page.select_option(f"#id_{name}", str(value))
    page.wait_for_selector(f"#id_{name} option[value='{value}'][selected]", state="attached")
    # Let htmx finish swapping and settling: a change made to a select that is about to
    # be replaced fires on the old element and asks for nothing (a flake under load).
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def test_manhole_report_goes_level_by_level_and_the_villager_rates_it(
    reference_data, county, live_server, page_at, tmp_path
):
    actors = Actors(county)
    # The village is split into areas, as the demo county's are: 李畋村 › 一片 › 一组.
    su = User.objects.get(is_superuser=True)
    area = org_services.unit_create(
        actor=su, parent=county.village_a, kind=UnitKind.AREA, name="一片"
    )
    org_services.unit_move(actor=su, unit=county.group_a, parent=area)
    county.group_a.refresh_from_db()
    base = live_server.url
    photo = tmp_path / "manhole.png"
    photo.write_bytes(png_bytes((64, 48)))

    # The villager (not in the register) reports from a 360 px phone, choosing the
    # place on the form and confirming the number with a code.
    villager = page_at(SMALL_PHONE)
    villager.goto(f"{base}/report/")
    assert villager.locator("h1").inner_text() == "我要反映"
    villager.fill("#id_phone", RESIDENT_PHONE)
    villager.select_option("#id_category", "facilities")
    villager.fill("#id_description", "小区门口的井盖松动破损，晚上有人踩空，很危险")
    villager.set_input_files("#id_photos", str(photo))
    _choose(villager, "town", county.town_a.pk)
    _choose(villager, "village", county.village_a.pk)
    _choose(villager, "area", area.pk)
    _choose(villager, "group", county.group_a.pk)
    villager.fill("#id_address", "一组安置小区门口")
    # Asking for the code keeps everything chosen, the photo included.
    villager.click("button[name=send_code]")
    villager.wait_for_selector("text=验证码已发送")
    assert villager.locator("#id_group").input_value() == str(county.group_a.pk)
    assert villager.locator(".held-photo img").count() == 1
    inbox = page_at(SMALL_PHONE)
    inbox.goto(f"{base}/notify/dev-inbox/?phone={RESIDENT_PHONE}")
    code = re.search(r"验证码是 (\d{6})", inbox.content()).group(1)
    # A mistyped code: the form comes back as it was left, the error beside the code.
    villager.fill("#id_code", "000000" if code != "000000" else "111111")
    villager.click("form.report button[type=submit]:not([name])")
    villager.wait_for_selector(".code-row .errorlist")
    assert "验证码不正确" in villager.locator(".code-row").inner_text()
    for name, unit in (("town", county.town_a), ("village", county.village_a)):
        assert villager.locator(f"#id_{name}").input_value() == str(unit.pk)
    assert villager.locator("#id_area").input_value() == str(area.pk)
    assert villager.locator("#id_group").input_value() == str(county.group_a.pk)
    assert "井盖松动破损" in villager.locator("#id_description").input_value()
    assert villager.locator(".held-photo input[type=checkbox]").is_checked()
    assert villager.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(villager, "report-error-phone")
    villager.fill("#id_code", code)
    screenshot(villager, "report-phone")
    villager.click("form.report button[type=submit]:not([name])")
    villager.wait_for_url(re.compile(r".*/track/\w+/$"))
    case = villager.locator(".case-code strong").inner_text()
    assert "待领办" in villager.content()
    appeal = Appeal.objects.get(code=case)
    # Placed at the group chosen, waiting for its representative (no household known).
    assert (appeal.level, appeal.unit, appeal.representative) == ("group", county.group_a, None)
    assert appeal.photos.count() == 1

    # The representative claims it, puts up warning poles, and escalates.
    rep = page_at(PHONE)
    _login(rep, base, actors.rep.phone)
    _open_from_queue(rep, base, case, shot="queue-representative-phone")
    rep.click("button[data-action=claim]")
    rep.wait_for_selector("text=已领办")
    _act(rep, "note", "到现场查看：井盖破损，已设置警示杆并拉警戒线", photo=str(photo))
    _act(rep, "escalate", "井盖需要整体更换，代表无法处理，请村里协调")
    screenshot(rep, "appeal-representative-phone")

    # The village passes it up to the town.
    village = page_at(PHONE)
    _login(village, base, actors.village.phone)
    _open_from_queue(village, base, case)
    _act(village, "escalate", "需镇里协调住建部门更换")

    # The town claims it and refers it to the housing department.
    town = page_at(DESKTOP)
    _login(town, base, actors.town.phone)
    _open_from_queue(town, base, case)
    town.click("button[data-action=claim]")
    town.wait_for_selector("text=已领办")
    _act(town, "refer", "请住建局尽快更换井盖", select="住建局")

    # The department answers.
    dept = page_at(DESKTOP)
    _login(dept, base, actors.dept.phone)
    _open_from_queue(dept, base, case)
    _act(dept, "answer", "已安排施工队，今日更换新井盖")

    # The town resolves it.
    town.reload()
    _act(town, "resolve", "住建局已更换井盖，隐患消除")

    # The villager rates it on the tracking page.
    villager.reload()
    assert "已更换井盖" in villager.content()
    villager.check("input[name=rating][value='5']")
    villager.fill("#id_note", "处理很及时，谢谢代表")
    villager.click("form.rate-form button[type=submit]")
    villager.wait_for_selector("text=感谢您的评价")
    assert "已关闭" in villager.content()
    assert "警示杆" in villager.content()
    screenshot(villager, "track-phone")

    # The whole timeline, at each level.
    town.reload()
    timeline = town.locator("ol.timeline").inner_text()
    for step in (
        "登记受理",
        "领办",
        "记录现场核查",
        "上报",
        "转办部门",
        "答复转办",
        "办结",
        "回访评价",
    ):
        assert step in timeline, step
    for where in ("一组", "李畋村", "大瑶镇"):
        assert where in timeline
    # The department's answer is shown under the department, not the town.
    answer = town.locator("ol.timeline li.tl-answer .tl-head").inner_text()
    assert "住建局" in answer and "大瑶镇" not in answer
    assert town.locator("ol.timeline img").count() >= 2
    screenshot(town, "appeal-timeline-desktop")
    appeal.refresh_from_db()
    assert appeal.status == "closed" and appeal.rating == 5
    assert list(appeal.events.values_list("action", flat=True)) == [
        "file",
        "claim",
        "note",
        "escalate",
        "escalate",
        "claim",
        "refer",
        "answer",
        "resolve",
        "rate",
    ]
