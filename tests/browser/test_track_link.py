"""Journey: the resident taps the link in the "resolved" SMS on their phone, lands on
the tracking page without a login or a code, and rates; another withdraws a report
from the link of the "received" SMS. An old link shows the Chinese "expired" page
with a way back."""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from django.conf import settings
from django.test import override_settings

from linli.appeals import links, services
from linli.appeals.models import Appeal, Status
from linli.core.crypto import blind_index
from linli.notify.models import Outbox
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.support import factories
from tests.support.factories import RESIDENT_PHONE
from tests.support.roles import Actors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROW = {"width": 360, "height": 740}


def _link(kind: str) -> str:
    body = (
        Outbox.objects.filter(channel="sms", address_hash=blind_index(RESIDENT_PHONE), kind=kind)
        .latest("id")
        .body
    )
    found = re.search(r"(https?://\S+/t/\S+)$", body)
    assert found, body
    return found.group(1)


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_sms_link_opens_the_case_to_rate_and_withdraw(
    reference_data, county, live_server, page_at
):
    actors = Actors(county)
    with override_settings(LINLI={**settings.LINLI, "PUBLIC_URL": live_server.url}):
        resolved = factories.appeal(county.households_a[1], description="井盖松动，夜里有人绊倒")
        services.appeal_act(actor=actors.rep, appeal=resolved, action="claim")
        services.appeal_act(actor=actors.rep, appeal=resolved, action="resolve", note="已更换井盖")
        rate_link = _link("appeal.resolve")
        pending = factories.appeal(county.households_a[2], description="路灯不亮")
        withdraw_link = _link("appeal.filed")

    for viewport, name in ((NARROW, "360"), (DESKTOP, "1280")):
        page = page_at(viewport)
        page.goto(rate_link)
        page.wait_for_selector("form.rate-form")
        assert resolved.code in page.content() and "已更换井盖" in page.content()
        _no_horizontal_scroll(page)
        screenshot(page, f"track-link-rate-{name}")
    page.check("input[name=rating][value='4']")
    page.fill("#id_note", "换得很快")
    page.click("form.rate-form button[type=submit]")
    page.wait_for_selector("text=感谢您的评价")
    resolved.refresh_from_db()
    assert resolved.status == Status.CLOSED and resolved.rating == 4

    page = page_at(PHONE)
    page.goto(withdraw_link)
    page.wait_for_selector("text=撤回这件诉求")
    page.click("summary >> text=撤回这件诉求")
    page.fill("#id_reason", "邻居已经修好了")
    page.check("input[name=confirm]")
    screenshot(page, "track-link-withdraw-390")
    page.click("button >> text=撤回")
    page.wait_for_selector("text=您的诉求已撤回")
    assert Appeal.objects.get(pk=pending.pk).status == Status.WITHDRAWN

    old = time.time() - 40 * 86400
    with mock.patch("django.core.signing.time.time", return_value=old):
        expired = links.token_for(pending)
    for viewport, name in ((NARROW, "360"), (DESKTOP, "1280")):
        page = page_at(viewport)
        response = page.goto(f"{live_server.url}/t/{expired}")
        assert response is not None and response.status == 410
        assert "链接已过期" in page.content()
        _no_horizontal_scroll(page)
        screenshot(page, f"track-link-expired-{name}")
    page.click("text=查询我的诉求")
    assert page.input_value("#id_code") == pending.code
    page = page_at(NARROW)
    response = page.goto(f"{live_server.url}/t/{expired[:-2]}xx")
    assert response is not None and response.status == 404
    assert "链接无效" in page.content()
    screenshot(page, "track-link-invalid-360")
