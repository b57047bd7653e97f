"""Issue 10, defect 11: the live notification pop-up has an accessible name.

The toast used to be a link given `role="status"` (which hides that it is a link)
and no name. It now goes into one polite live region named like the header link
("通知"), and stays a link. The WebSocket is replaced in the page by a fake the
test drives, since the test server speaks no WebSocket.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from linli.org.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

FAKE_SOCKET = """
window.__sockets = [];
window.WebSocket = function (url) { this.url = url; window.__sockets.push(this);
  setTimeout(() => this.onopen && this.onopen(), 0); };
window.WebSocket.prototype.close = function () {};
"""


def test_the_live_toast_is_a_named_polite_region_holding_a_link(
    reference_data, live_server, browser
):
    call_command("demo_data", "small", stdout=io.StringIO())
    base = live_server.url
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
    context.add_init_script(FAKE_SOCKET)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "13800000007")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.wait_for_function("() => window.__sockets.length > 0")
    page.evaluate(
        """() => window.__sockets[0].onmessage({data: JSON.stringify(
             {unread: 4, title: "新诉求", body: "井盖松动", url: "/appeals/queue/"})})"""
    )
    live = page.locator("#notify-live")
    assert live.get_attribute("role") == "status"
    assert live.get_attribute("aria-live") == "polite"
    assert live.get_attribute("aria-label") == "通知"
    toast = live.locator("a.notify-toast")
    assert toast.get_attribute("href") == "/appeals/queue/"
    assert toast.get_attribute("role") is None  # a link stays a link
    assert "新诉求" in toast.inner_text()
    assert page.locator("#notify-badge").inner_text() == "4"

    page.evaluate(AXE.read_text())  # not add_script_tag: the CSP refuses inline scripts
    serious = page.evaluate(
        """async () => (await axe.run('#notify-live')).violations
             .filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)"""
    )
    assert serious == []
    context.close()
