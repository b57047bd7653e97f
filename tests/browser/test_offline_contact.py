"""Journey: a representative without a signal taps "contacted" on two households;
the taps wait on the phone, and are recorded once each when the signal returns,
however often they are sent again."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from linli.accounts.models import Role
from linli.duties.models import ContactLog
from tests.browser.conftest import PHONE, screenshot
from tests.support.roles import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _login(page, base, phone):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", "pw-test-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _controlled(page) -> None:
    """Wait until the duties service worker controls the page (reload once if needed)."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.reload()
    # Predicates are functions: an expression string is eval'd, which the CSP refuses.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    # The page and its assets are kept for offline use.
    page.wait_for_function(
        """async () => {
            const keys = (await caches.keys()).filter((k) => k.startsWith('linli-duties-'));
            if (!keys.length) return false;
            const cache = await caches.open(keys[0]);
            return !!(await cache.match('/duties/'))
                && !!(await cache.match('/static/vendor/htmx.min.js'));
        }"""
    )


def _settled(page) -> None:
    """Wait until the service worker has finished keeping the page for offline use
    (a request to the live server still running would race the test's teardown)."""
    page.wait_for_function("() => !document.getElementById('offline-banner').dataset.keeping")


def test_contacts_tapped_offline_are_recorded_once_when_the_signal_returns(
    reference_data, county, live_server, page_at
):
    user = make_user("13700000031", "辜大祥", Role.REPRESENTATIVE, county.group_a)
    county.rep_a.user = user
    county.rep_a.save(update_fields=["user"])
    base = live_server.url

    page = page_at(PHONE)
    context = page.context
    _login(page, base, user.phone)
    # Outside /duties/ no service worker is registered or in control.
    assert page.evaluate("navigator.serviceWorker.controller") is None
    page.goto(f"{base}/duties/")
    _controlled(page)
    count = page.locator("#owed-contacts b")
    banner = page.locator("#offline-banner")
    expect(count).to_have_text("6")
    expect(banner).to_be_hidden()

    # No signal: two taps wait on the phone, marked, and counted in the banner.
    # Every POST the page sends is noted: none may leave while the phone is offline.
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    context.set_offline(True)
    # The switch reaches the page's `navigator.onLine` a moment after the emulation is
    # set (a task of its own in the renderer); a tap before that is sent live, can be
    # recorded by the server and still fail on the way back (then it is also queued).
    # Tap only once the page itself knows it is offline, as a phone without signal does.
    page.wait_for_function("() => navigator.onLine === false")
    names = []
    for _ in range(2):
        row = page.locator("li.owed-item:not(.queued)").first
        names.append(row.locator("strong").inner_text())
        row.locator("button.contacted").click()
    queued = page.locator("li.owed-item.queued")
    expect(queued).to_have_count(2)
    expect(queued.first.locator(".queued-badge")).to_have_text("待同步")
    expect(banner).to_have_text("离线：2 条联系待同步")
    expect(count).to_have_text("4")
    assert [q.locator("strong").inner_text() for q in queued.all()] == names
    assert not ContactLog.objects.exists()
    screenshot(page, "duties-offline-queued")

    # The page opens again without a signal, from the phone, with the taps still waiting.
    reopened = page.reload()
    assert reopened is not None and reopened.from_service_worker
    expect(banner).to_have_text("离线：2 条联系待同步")
    expect(page.locator("li.owed-item.queued")).to_have_count(2)
    expect(count).to_have_text("4")
    screenshot(page, "duties-offline-reopened")
    items = json.loads(page.evaluate("localStorage.getItem('linli.duties.queue')"))
    keys = [item["key"] for item in items]
    assert len(set(keys)) == 2
    assert not ContactLog.objects.exists()
    assert posts == []  # nothing was sent while offline, not even a failed try

    # The signal returns: the queue is sent, the banner goes, the list is refreshed.
    context.set_offline(False)
    expect(banner).to_be_hidden(timeout=15000)
    expect(page.locator(".offline-messages .msg-success")).to_contain_text("2")
    expect(count).to_have_text("4")
    expect(page.locator("li.owed-item")).to_have_count(4)
    expect(page.locator("li.owed-item.queued")).to_have_count(0)
    contacts = ContactLog.objects.filter(representative=county.rep_a)
    assert sorted(str(c.client_key) for c in contacts) == sorted(keys)
    assert sorted(c.household.head_name for c in contacts) == sorted(names)
    assert page.evaluate("localStorage.getItem('linli.duties.queue')") == "[]"
    screenshot(page, "duties-offline-synced")
    _settled(page)

    # The same taps sent again (a lost answer, a second tab): still two contacts.
    statuses = page.evaluate(
        """async (items) => {
            const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
            const out = [];
            for (const item of items) {
                const body = new URLSearchParams({
                    household: item.household, method: item.method, role: item.role,
                    note: item.note, client_key: item.key, day: item.day,
                });
                const r = await fetch('/duties/contacts/quick/', {
                    method: 'POST', body, credentials: 'same-origin',
                    headers: {'X-CSRFToken': token, 'Accept': 'application/json'},
                });
                out.push(r.status);
            }
            return out;
        }""",
        items,
    )
    assert statuses == [200, 200]
    assert ContactLog.objects.count() == 2
    page.reload()
    expect(count).to_have_text("4")
    _settled(page)


def test_a_tap_that_cannot_reach_the_server_waits_and_is_sent_on_the_next_visit(
    reference_data, county, live_server, page_at
):
    """The phone believes it is online but the request fails (a dead spot): kept."""
    user = make_user("13700000032", "辜大祥", Role.REPRESENTATIVE, county.group_a)
    county.rep_a.user = user
    county.rep_a.save(update_fields=["user"])
    base = live_server.url
    page = page_at(PHONE)
    _login(page, base, user.phone)
    page.goto(f"{base}/duties/")
    _controlled(page)
    page.route("**/duties/contacts/quick/", lambda route: route.abort("internetdisconnected"))
    page.locator("li.owed-item button.contacted").first.click()
    banner = page.locator("#offline-banner")
    expect(banner).to_have_text("1 条联系待同步，正在发送…")
    expect(page.locator("li.owed-item.queued")).to_have_count(1)
    assert not ContactLog.objects.exists()

    page.unroute("**/duties/contacts/quick/")
    page.reload()  # opening the page sends what waits
    expect(banner).to_be_hidden(timeout=15000)
    expect(page.locator("#owed-contacts b")).to_have_text("5")
    assert ContactLog.objects.filter(client_key__isnull=False).count() == 1
    _settled(page)
