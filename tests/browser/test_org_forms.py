"""The unit page forms on a phone: a village cadre adds a place from the unit page.

The sweep stops one level below the navigation (the unit page); the forms are one
level further, so this test puts each of them through the sweep's checks at 360 px and
1280 px (200, no sideways scroll, no English, 44 px targets at phone width, axe 0
serious/critical), with its errors showing, and fills one in with the thumb's path.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.accounts.models import Role
from linli.org.models import Place
from tests.browser.test_sweep import (
    AXE,
    AXE_RUN,
    MIN_TARGET,
    NO_SIDE_SCROLL,
    SMALL_TARGETS,
    VISIBLE_TEXT,
    WIDTHS,
    english_words,
)
from tests.support.roles import PASSWORD, user_in_town

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page, where: str) -> list[str]:
    problems = []
    words = english_words(page.evaluate(VISIBLE_TEXT))
    if words:
        problems.append(f"{where}: untranslated English {words}")
    small = page.evaluate(SMALL_TARGETS, MIN_TARGET)
    if small:
        problems.append(f"{where}: tap targets under 44px {small[:8]}")
    page.evaluate(AXE.read_text())  # not add_script_tag: the CSP refuses inline scripts
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        if not page.evaluate(NO_SIDE_SCROLL):
            problems.append(f"{where} [{width}]: scrolls sideways")
        for v in page.evaluate(AXE_RUN):
            problems.append(f"{where} [{width}]: axe {v['impact']} {v['id']} {v['where']}")
    page.set_viewport_size(WIDTHS["phone"])
    return problems


def test_a_village_cadre_builds_the_village_on_a_phone(
    reference_data, county, live_server, page_at
):
    assert AXE.exists(), "run `npm install` (or `make assets`): axe-core is missing"
    cadre = user_in_town(county, Role.VILLAGE, "a")
    cadre.name = "李畋村干部"  # shown in the header; the factory's name is Latin
    cadre.save(update_fields=["name"])
    base = live_server.url
    page = page_at(WIDTHS["phone"])
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", cadre.phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    village = county.village_a.pk
    rep = reverse("org:representative_end_term", args=[county.rep_a.pk])
    problems: list[str] = []
    for url in [
        reverse("org:unit_detail", args=[village]),
        reverse("org:unit_child_create", args=[village]),
        reverse("org:unit_rename", args=[village]),
        reverse("org:place_create", args=[village]),
        reverse("org:team_create", args=[village]),
        reverse("org:team_member_add", args=[village]),
        reverse("org:representative_appoint", args=[village]),
        rep,
    ]:
        response = page.goto(base + url, wait_until="domcontentloaded")
        assert response is not None and response.status == 200, url
        problems += check(page, url)
    # A form sent back with its errors passes the same checks.
    page.goto(base + reverse("org:unit_child_create", args=[village]))
    page.select_option("select[name=kind]", "group")
    page.fill("input[name=name]", "一组")
    page.click("main button[type=submit]")
    assert page.locator("text=已有名为“一组”的单位").is_visible()
    problems += check(page, "unit_child_create with an error")
    assert not problems, "\n".join(problems)

    # From the unit page to a saved place, on a phone.
    page.goto(base + reverse("org:unit_detail", args=[village]))
    page.click("text=添加场所")
    page.select_option("select[name=kind]", "hospital")
    page.fill("input[name=name]", "李畋卫生室")
    page.fill("input[name=address]", "李畋村口")
    page.select_option("select[name=representative]", str(county.rep_a.pk))
    page.click("main button[type=submit]")
    page.wait_for_url(base + reverse("org:unit_detail", args=[village]))
    assert page.locator("text=场所已添加").is_visible()
    place = Place.objects.get(name="李畋卫生室")
    assert place.representative_id == county.rep_a.pk
