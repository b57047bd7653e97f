"""Issue 10, defect 10: on a phone the lists are cards, on a desk they stay tables.

At 360 px the appeal list, the queue, the households and the duties team page
used to squeeze names to one or two characters a line, stack 待/领/办 one
character under another and push the right-hand columns out of sight. Each row
is now a card: the key fields under their labels, the status badge on one line,
and one tap anywhere on the card opens the row.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from linli.org.demo import DEMO_PASSWORD
from tests.browser.conftest import screenshot
from tests.support.twofactor import pass_second_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 780}
DESK = {"width": 1280, "height": 900}
TOWN_CADRE = "13800000003"  # 罗海燕, 大瑶镇: sees appeals, households and the team

CARD_FACTS = """(sel) => {
  const rows = Array.from(document.querySelectorAll(sel)).slice(0, 5);
  const thead = document.querySelector(sel.split(' ')[0] + ' thead');
  return {
    rows: rows.length,
    theadShown: !!thead && thead.getBoundingClientRect().height > 2,
    display: rows.map(r => getComputedStyle(r).display),
    widths: rows.map(r => Math.round(r.getBoundingClientRect().width)),
    // one tap anywhere on the card lands on its link: try near the bottom-right corner
    tapOpens: rows.map(r => {
      r.scrollIntoView();
      const b = r.getBoundingClientRect();
      const hit = document.elementFromPoint(b.right - 8, b.bottom - 8);
      const link = r.querySelector('a.card-open');
      return !!link && !!hit && (hit === link || link.contains(hit));
    }),
    badgeLines: Array.from(document.querySelectorAll(sel + ' .badge')).slice(0, 10).map(
      b => Math.round(b.getBoundingClientRect().height / parseFloat(getComputedStyle(b).lineHeight))),
    labels: rows.length ? Array.from(rows[0].querySelectorAll('td[data-label]'))
      .map(td => getComputedStyle(td, '::before').content) : [],
    sideScroll: document.documentElement.scrollWidth > window.innerWidth,
  };
}"""

LISTS = [  # (page, rows, whether its rows carry a status badge)
    ("/appeals/", "#appeal-rows tbody tr", True),
    ("/org/households/", "#household-rows tbody tr", True),
    ("/duties/team/", "#rep-table tbody tr", True),
    ("/duties/team/", "#unit-rollup tbody tr", False),
]


def test_lists_are_cards_on_a_phone_and_tables_on_a_desk(reference_data, live_server, browser):
    call_command("demo_data", "small", stdout=io.StringIO())
    base = live_server.url
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", TOWN_CADRE)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    pass_second_step(page, base, TOWN_CADRE)
    page.wait_for_url(f"{base}/")

    for path, rows, badged in LISTS:
        page.set_viewport_size(PHONE)
        page.goto(base + path)
        phone = page.evaluate(CARD_FACTS, rows)
        screenshot(page, "cards-phone" + path.replace("/", "-").rstrip("-"))
        assert phone["rows"] >= 2, (path, phone)
        assert not phone["theadShown"], (path, "the column heads are hidden on a phone")
        assert set(phone["display"]) == {"flex"}, (path, phone["display"])
        # a card spans the screen (less the page's padding), nothing is squeezed
        assert min(phone["widths"]) >= 300, (path, phone["widths"])
        assert all(phone["tapOpens"]), (path, "one tap on the card opens it", phone["tapOpens"])
        if badged:  # 待领办 on one line, not stacked a character a line
            assert phone["badgeLines"], path
            assert max(phone["badgeLines"]) == 1, (path, phone["badgeLines"])
        assert phone["labels"] and all(c not in ("none", "") for c in phone["labels"]), phone
        assert not phone["sideScroll"], path

        page.set_viewport_size(DESK)
        desk = page.evaluate(CARD_FACTS, rows)
        screenshot(page, "cards-desk" + path.replace("/", "-").rstrip("-"))
        assert desk["theadShown"], (path, "the desk keeps the table")
        assert set(desk["display"]) == {"table-row"}, (path, desk["display"])
        assert not desk["sideScroll"], path

    # The queue was a list of cards already: on a phone its status badges stay on one line.
    page.set_viewport_size(PHONE)
    page.goto(base + "/appeals/queue/")
    lines = page.evaluate(
        """() => Array.from(document.querySelectorAll('.queue .badge')).map(
             b => Math.round(b.getBoundingClientRect().height
                             / parseFloat(getComputedStyle(b).lineHeight)))"""
    )
    assert lines and max(lines) == 1, lines
    screenshot(page, "cards-phone-appeals-queue")
    context.close()
