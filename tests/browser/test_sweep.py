"""The sweep: every demo role, every page of its navigation and one level below, two widths.

For each account that `demo_data small` creates (and a resident, not logged in, who
starts from the public pages `PUBLIC_ENTRIES`), the sweep logs in, reads the
links of the page header (the main navigation and the user box) and opens each
one; on every such page it also follows the first row of each list (a table
body, the appeal queue, the inbox, the unit tree), one level down. Nothing is
registered: a page joins the sweep by being linked from a navigation.

Every page is checked at 360 px (a phone) and 1280 px (a desk):

* the answer is 200;
* nothing scrolls sideways (`scrollWidth <= innerWidth`);
* no untranslated English on the Chinese page, except the words of `ALLOWED_WORDS`,
  codes (tokens with a digit) and machine data marked `translate="no"`;
* axe-core (npm `axe-core`, injected into the page) finds no critical and no serious
  violation;
* the page carries a Content-Security-Policy and breaks none of it (no inline script,
  handler or style: `securitypolicyviolation` events, recorded from before its scripts);
* at phone width, every tap target is at least 44 x 44 px (WCAG 2.5.5, AAA). A
  target is a link, a button, a `<summary>`, a select, a text field, or the label
  of a radio or checkbox (the label is what a thumb taps; the round box inside it
  is not measured on its own when its label is big enough). Exempt, as in WCAG
  2.5.8's inline exception: a link inside a sentence, i.e. an inline link whose
  block has other text around it. Hidden and zero-sized elements are skipped.

One browser, one data set, one test: the whole sweep runs in well under two minutes.
"""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from linli.org.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.browser.conftest import CSP_VIOLATIONS, RECORD_CSP_VIOLATIONS
from tests.support.twofactor import pass_second_step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"phone": {"width": 360, "height": 780}, "desk": {"width": 1280, "height": 900}}
MIN_TARGET = 44

# Latin words a Chinese page may show: names, formats and units that are not translated.
ALLOWED_WORDS = {
    "linli",
    "Linli",
    "API",
    "Excel",
    "Word",  # the annual report's download (下载 Word 文档), as Excel is for the exports
    "PDF",
    "CSV",
    "xlsx",
    "English",
    "csv",  # the language picker names each language in itself
    "SMS",
    "ID",
    "WiFi",
    "km",
    "m",
}
# Paths never followed: not pages of the platform's own look.
SKIP_PREFIXES = ("/admin/", "/api/", "/static/", "/media/", "/i18n/", "/accounts/logout")
SKIP_SUFFIXES = ("/export/", ".xlsx", ".csv", "/pdf/", "/xlsx/")
# A resident is not logged in and has no navigation: the pages an SMS or a poster sends
# them to are where the sweep starts for them.
PUBLIC_ENTRIES = ("/report/", "/track/", "/accounts/login/", "/honours/public/")

FIRST_ROWS = """() => {
  const lists = document.querySelectorAll(
    'main table tbody, main ul.queue, main ul.inbox, main ul.tree, main ul.card-list');
  const out = [];
  for (const list of lists) {
    const row = list.querySelector(':scope > tr, :scope > li');
    const a = row && row.querySelector('a[href]');
    if (a) out.push(a.href);
  }
  return out;
}"""

NAV_LINKS = """() => Array.from(
  document.querySelectorAll('header nav a[href], header .userbox a[href]')).map(a => a.href)"""

NO_SIDE_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"

VISIBLE_TEXT = """() => {
  // Machine codes marked translate="no" (the audit log's action names and details)
  // are data, not interface text.
  // Hidden while the text is read (innerText leaves out what is not displayed), then
  // shown again: cutting their text out of the page's did not work where a long detail
  // wraps differently inside its cell.
  const machine = Array.from(document.querySelectorAll('[translate="no"]'));
  const before = machine.map((el) => el.style.display);
  machine.forEach((el) => { el.style.display = 'none'; });
  const body = document.body.innerText;
  machine.forEach((el, i) => { el.style.display = before[i]; });
  const bits = [document.title, body];
  for (const el of document.querySelectorAll('[title], [placeholder], [aria-label], img[alt]')) {
    for (const attr of ['title', 'placeholder', 'aria-label', 'alt']) {
      const v = el.getAttribute(attr);
      if (v) bits.push(v);
    }
  }
  return bits.join('\\n');
}"""

SMALL_TARGETS = """(min) => {
  const small = [];
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    // checkVisibility() is false inside a closed <details> too.
    return r.width > 0 && r.height > 0 && el.checkVisibility({visibilityProperty: true});
  };
  const blockOf = (el) => {
    let p = el.parentElement;
    while (p && getComputedStyle(p).display.startsWith('inline')) p = p.parentElement;
    return p;
  };
  const inSentence = (a) => {
    if (!getComputedStyle(a).display.startsWith('inline')
        || getComputedStyle(a).display === 'inline-block'
        || getComputedStyle(a).display === 'inline-flex') return false;
    const block = blockOf(a);
    if (!block) return false;
    // Text of the block outside any control: the sentence the link sits in.
    let around = 0;
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.parentElement.closest('a, button, select, summary, .badge')) {
        around += n.textContent.replace(/[\\s·|,，、]+/g, '').length;
      }
    }
    return around >= 4;  // a few characters of text around the link
  };
  const name = (el) => {
    const t = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim();
    return `<${el.tagName.toLowerCase()}${el.type ? ' type=' + el.type : ''}> ${t.slice(0, 30)}`;
  };
  const seen = new Set();
  const sel = 'a[href], button, summary, select, textarea, '
    + 'input:not([type=hidden]):not([type=radio]):not([type=checkbox]), '
    + 'input[type=radio], input[type=checkbox]';
  for (let el of document.querySelectorAll(sel)) {
    if (el.matches('input[type=radio], input[type=checkbox]')) {
      el = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el;
    }
    if (seen.has(el) || !visible(el)) continue;
    seen.add(el);
    if (el.tagName === 'A' && inSentence(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < min - 0.5 || r.height < min - 0.5) {
      small.push(`${name(el)} ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return small;
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                where: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""

WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@/-]*")


def english_words(text: str) -> list[str]:
    """Latin words of the text that are neither allowed nor codes."""
    words = []
    for token in WORD.findall(text):
        if any(c.isdigit() for c in token) or "@" in token or "/" in token:
            continue  # codes, phone numbers, dates, addresses
        for word in re.split(r"[._-]+", token):
            if len(word) >= 2 and word not in ALLOWED_WORDS:
                words.append(word)
    return sorted(set(words))


def followable(url: str, base: str) -> bool:
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != base:
        return False
    return not parts.path.startswith(SKIP_PREFIXES) and not parts.path.endswith(SKIP_SUFFIXES)


def test_every_role_every_page_two_widths(reference_data, asgi_server, browser):
    assert AXE.exists(), "run `npm install` (or `make assets`): axe-core is missing"
    axe_source = AXE.read_text()
    started = time.monotonic()
    call_command("demo_data", "small", stdout=io.StringIO())
    built = time.monotonic() - started
    base = asgi_server.url
    accounts: list = [a for a in DEMO_ACCOUNTS if a.key != "superuser"]
    accounts.append(None)  # a resident: not logged in
    only = os.environ.get("LINLI_SWEEP_ROLES")  # e.g. "anonymous,13800000007" while fixing
    if only:
        accounts = [a for a in accounts if (a.phone if a else "anonymous") in only.split(",")]

    problems: list[str] = []
    axe_by_rule: dict[str, int] = {}
    checked = 0
    axe_seconds = 0.0
    pages_by_role: dict[str, int] = {}

    for account in accounts:
        context = browser.new_context(viewport=WIDTHS["desk"], locale="zh-CN")
        context.add_init_script(RECORD_CSP_VIOLATIONS)
        page = context.new_page()
        label = account.label if account else "居民(未登录)"
        if account is None:
            # No navigation before logging in: start where a resident arrives, plus
            # whatever the header of those pages links to.
            todo = [base + path for path in PUBLIC_ENTRIES]
            page.goto(todo[0])
        else:
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=username]", account.phone)
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("button[type=submit]")
            pass_second_step(page, base, account.phone)
            page.wait_for_url(f"{base}/")
            todo = []
        todo += [u for u in dict.fromkeys(page.evaluate(NAV_LINKS)) if followable(u, base)]
        nav = set(todo)
        done: set[str] = set()
        while todo:
            url = todo.pop(0)
            if url in done:
                continue
            done.add(url)
            where = f"{label} {urlsplit(url).path}"
            page.set_viewport_size(WIDTHS["phone"])
            response = page.goto(url, wait_until="domcontentloaded")
            if response is None or response.status != 200:
                problems.append(f"{where}: HTTP {response and response.status}")
                continue
            words = english_words(page.evaluate(VISIBLE_TEXT))
            if words:
                problems.append(f"{where}: untranslated English {words}")
            small = page.evaluate(SMALL_TARGETS, MIN_TARGET)
            if small:
                problems.append(f"{where} [phone]: tap targets under 44px {small[:8]}")
            page.evaluate(axe_source)  # not add_script_tag: the CSP refuses inline scripts
            # The same page at both widths: the desk layout is the phone page resized
            # (the stylesheet's breakpoints apply as the window widens).
            for width, viewport in WIDTHS.items():
                page.set_viewport_size(viewport)
                checked += 1
                if not page.evaluate(NO_SIDE_SCROLL):
                    wide = page.evaluate("() => document.documentElement.scrollWidth")
                    problems.append(f"{where} [{width}]: scrolls sideways ({wide}px)")
                t0 = time.monotonic()
                for v in page.evaluate(AXE_RUN):
                    axe_by_rule[v["id"]] = axe_by_rule.get(v["id"], 0) + v["nodes"]
                    problems.append(
                        f"{where} [{width}]: axe {v['impact']} {v['id']} x{v['nodes']} {v['where']}"
                    )
                axe_seconds += time.monotonic() - t0
            csp = page.evaluate(CSP_VIOLATIONS)
            if csp:
                problems.append(f"{where}: Content-Security-Policy violations {csp[:4]}")
            if "content-security-policy" not in response.headers:
                problems.append(f"{where}: no Content-Security-Policy header")
            if url in nav:  # one level below the navigation, not deeper
                todo.extend(u for u in page.evaluate(FIRST_ROWS) if followable(u, base))
        pages_by_role[label] = len(done)
        context.close()

    elapsed = time.monotonic() - started
    summary = (
        f"sweep: {len(accounts)} roles, {sum(pages_by_role.values())} pages, "
        f"{checked} page loads (2 widths) in {elapsed:.0f}s (data {built:.0f}s, axe {axe_seconds:.0f}s); pages by role {pages_by_role}; "
        f"axe serious/critical nodes by rule {axe_by_rule}"
    )
    print(summary)
    assert not problems, summary + "\n" + "\n".join(problems)
