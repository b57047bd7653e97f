"""The love doorbell's alarm, end to end in a real browser: a representative has a page
open; a press is received; the alarm banner appears on that page without a reload (with
its link, and the note about sound); the representative taps "on my way", "at the door"
(the phone's location), closes with an outcome; the panel shows it closed.

The test server speaks no WebSocket, so the page's socket is a fake the test drives:
the test takes the push the press really sent to the representative's Channels group
(the in-memory layer) and hands it to the page exactly as the consumer forwards it
(`notify.consumers.PUSH_FIELDS`). Screenshots at 360 and 1280 px go to
/tmp/door-shots/ (or $LINLI_DOOR_SHOTS).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connections

from linli.doorbell.models import Alarm, AlarmStatus
from linli.notify.consumers import PUSH_FIELDS
from linli.notify.services import user_group
from tests.doorbell.alarm_kit import AlarmWorld
from tests.support.roles import PASSWORD

from .conftest import CSP_VIOLATIONS, RECORD_CSP_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("LINLI_DOOR_SHOTS", "/tmp/door-shots"))

FAKE_SOCKET = """
window.__sockets = [];
window.WebSocket = function (url) { this.url = url; window.__sockets.push(this);
  setTimeout(() => this.onopen && this.onopen(), 0); };
window.WebSocket.prototype.close = function () {};
"""


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _press_and_take_the_push(world, user_id: int) -> tuple[Alarm, dict]:
    """In a thread of its own: Playwright's event loop runs in the test's thread, where
    async_to_sync (the services' push, the layer's calls) may not run."""
    out: dict = {}

    def run():
        try:
            layer = get_channel_layer()
            channel = async_to_sync(layer.new_channel)()
            async_to_sync(layer.group_add)(user_group(user_id), channel)
            out["alarm"] = world.press()  # autocommit: the push goes out as it commits
            message = async_to_sync(layer.receive)(channel)
            out["push"] = {k: message[k] for k in PUSH_FIELDS if k in message}
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=20)
    return out["alarm"], out["push"]


@pytest.mark.parametrize("width", [360, 1280])
def test_press_banner_acknowledge_arrive_close(county, live_server, browser, width):
    world = AlarmWorld(county)
    base = live_server.url
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        locale="zh-CN",
        geolocation={"latitude": 28.151234, "longitude": 113.631234},
        permissions=["geolocation"],
    )
    context.add_init_script(FAKE_SOCKET)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", world.rep.phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.wait_for_function("() => window.__sockets.some(s => s.url.endsWith('/ws/notify/'))")

    alarm, push = _press_and_take_the_push(world, world.rep.pk)
    assert push["alarm"]["id"] == alarm.pk and push["sound"] is True
    page.evaluate(
        """(data) => window.__sockets.filter(s => s.url.endsWith('/ws/notify/'))[0]
             .onmessage({data: data})""",
        json.dumps(push),
    )
    banner = page.locator("#alarm-banner")
    banner.wait_for(state="visible")
    text = banner.inner_text()
    assert "爱心门铃告警" in text and world.household.address in text
    assert "点一下页面" in text  # sound needs a tap first: the banner says so
    _shot(page, f"alarm-banner-{width}")

    page.click("#alarm-banner a.btn")
    page.wait_for_url(f"{base}/doorbell/alarms/{alarm.pk}/")
    assert page.locator("#alarm-status").inner_text() == "已通知"
    _shot(page, f"alarm-detail-{width}")
    page.click("#alarm-ack")
    page.wait_for_load_state()
    assert page.locator("#alarm-status").inner_text() == "正在赶来"
    # The panel shows it open, blue (on the way), with who was told and the time ticking.
    page.goto(f"{base}/doorbell/alarms/")
    card = page.locator(f"#alarm-open article[data-alarm='{alarm.pk}']")
    assert "正在赶来" in card.inner_text() and world.county.rep_a.member.name in card.inner_text()
    page.wait_for_function(
        "() => /^\\d+:\\d\\d$/.test((document.querySelector('#alarm-open [data-since]') || {textContent: ''}).textContent)"
    )
    _shot(page, f"alarm-panel-open-{width}")
    link = card.locator("a.alarm-open-link").bounding_box()
    assert link is not None and link["height"] >= 44  # a phone's tap target
    card.locator("a.alarm-open-link").click()
    page.wait_for_url(f"{base}/doorbell/alarms/{alarm.pk}/")
    page.click("#alarm-arrive")
    page.wait_for_function(
        "() => (document.getElementById('alarm-status') || {textContent: ''}).textContent === '已到达'"
    )
    page.check("input[name=outcome][value=company]")
    page.fill("textarea[name=note]", "老人想找人说说话")
    _shot(page, f"alarm-close-form-{width}")
    # The open close form (the note's textarea) does not push the page sideways.
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= width, f"the page scrolls sideways at {width} px: {wide} px"
    page.click("#alarm-close")
    page.wait_for_function(
        "() => (document.getElementById('alarm-status') || {textContent: ''}).textContent === '已关闭'"
    )
    assert "陪伴聊天" in page.locator("#alarm-outcome").inner_text()

    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLOSED and alarm.outcome == "company"
    assert alarm.acknowledged_by_id == world.rep.pk and alarm.latitude is not None

    page.goto(f"{base}/doorbell/alarms/")
    assert page.locator("#no-open-alarms").is_visible()
    row = page.locator("#alarm-rows tr", has_text=world.household.address)
    assert "已关闭" in row.inner_text() and "陪伴聊天" in row.inner_text()
    _shot(page, f"alarm-panel-{width}")
    assert page.evaluate(CSP_VIOLATIONS) == []
    context.close()
