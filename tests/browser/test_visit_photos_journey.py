"""Journey: a representative records a home visit with photos from a phone (two
taken with the camera, one from the gallery) and sees them in the history; the
group leader then records a visit for the representative from the drill-down
and comes back to it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from linli.accounts.models import Role
from linli.duties.models import HomeVisit
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.browser.test_duties_journey import _login
from tests.support.factories import png_bytes
from tests.support.roles import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _image(name: str, color) -> dict:
    data = png_bytes(size=(320, 240), color=color, fmt="JPEG")
    return {"name": name, "mimeType": "image/jpeg", "buffer": data}


def test_visit_with_photos_from_a_phone_then_a_leader_records_one(
    reference_data, county, live_server, page_at, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    user = make_user("13700000031", "辜大祥", Role.REPRESENTATIVE, county.group_a)
    county.rep_a.user = user
    county.rep_a.save(update_fields=["user"])
    make_user("13700000032", "一组组长", Role.GROUP_LEADER, county.group_a)
    base = live_server.url
    household = county.households_a[1]

    # The representative opens the visit form from "still to visit this month".
    page = page_at(PHONE)
    _login(page, base, user.phone)
    page.goto(f"{base}/duties/")
    page.click(f".visit-chips a[href$='household={household.pk}']")
    page.wait_for_selector("#row-photos")
    page.fill("input[name=met]", "李一夫妇")
    page.fill("textarea[name=findings]", "屋后排水沟堵塞，老人腿脚不便")

    # Two photos with the camera (each keeps its own input), one from the gallery.
    page.locator(".camera-input").set_input_files(_image("1.jpg", (200, 40, 40)))
    page.locator(".camera-input").set_input_files(_image("2.jpg", (40, 160, 60)))
    page.locator("#id_photos").set_input_files(_image("3.jpg", (40, 80, 200)))
    expect(page.locator("#photo-previews img")).to_have_count(3)
    page.locator("#row-photos").scroll_into_view_if_needed()
    shot = screenshot(page, "duties-visit-photos-phone")
    assert shot.exists()

    page.click("form.duty-form button[type=submit]:not(#use-location)")
    page.wait_for_url(f"{base}/duties/")
    expect(page.locator(".msg-success")).to_contain_text(household.head_name)
    visit = HomeVisit.objects.get()
    assert visit.photos.count() == 3 and visit.created_by == user

    page.goto(f"{base}/duties/?history=visit")
    thumbs = page.locator("#history .record-photos img")
    expect(thumbs).to_have_count(3)
    # Each thumbnail is a real image the browser loads (lazily: scroll to them first).
    thumbs.first.scroll_into_view_if_needed()
    page.wait_for_function(  # a function: an expression string is eval'd, which the CSP refuses
        "() => Array.from(document.querySelectorAll('#history .record-photos img'))"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    screenshot(page, "duties-visit-history-phone")

    # The group leader, at a desk, records a visit for the representative.
    desk = page_at(DESKTOP)
    _login(desk, base, "13700000032")
    desk.goto(f"{base}/duties/rep/{county.rep_a.pk}/")
    other = county.households_a[2]
    desk.click(f"#rep-owed-visits a[href*='household={other.pk}']")
    desk.wait_for_selector("#row-photos")
    expect(desk.locator(".notice").first).to_contain_text(county.rep_a.name)
    desk.fill("input[name=met]", "李二")
    desk.click("form.duty-form button[type=submit]:not(#use-location)")
    desk.wait_for_url(f"{base}/duties/rep/{county.rep_a.pk}/*")
    expect(desk.locator(".msg-success")).to_contain_text(other.head_name)
    assert HomeVisit.objects.get(household=other).created_by.phone == "13700000032"
    screenshot(desk, "duties-leader-entry-desktop")
