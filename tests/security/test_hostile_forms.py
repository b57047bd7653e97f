"""The hostile corpus (`hostile.py`) through every field of every page form.

The forms are found by walking the site as its users see it: from every page whose
URL takes no argument, following the links each page shows (one page per URL route,
so a household list does not become a walk over every household), as a
representative, a town cadre and a visitor. Each form found, GET filters and POST
forms alike, is sent with each field in turn holding each hostile text value, the
other fields keeping what the page put in them (CSRF is not enforced by the test
client). Every answer must be below 500.

Each request runs in a savepoint rolled back afterwards, and the session cookie is
put back, so a form that logs out or changes a password does not end the walk.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from tests.support import factories
from tests.support.roles import Actors

from .hostile import TEXT
from .inprocess import FIGURES, pending

# The values a form field gets: one of each kind (every text value of the corpus with
# LINLI_HOSTILE_FULL=1; a page answer is slower than an API one).
FORM_KINDS = {
    "empty",
    "nul-inside",
    "c0-controls",
    "c1-controls",
    "lone-high-surrogate",
    "bom-rtl-zero-width",
    "huge",
    "markup",
    "unknown-enum",
    "minus-one-text",
    "int32-text",
    "int64-text",
    "huge-int-text",
    "nan-text",
    "date-year-1",
    "date-year-9999",
    "date-invalid",
}
FORM_VALUES = (
    TEXT if os.environ.get("LINLI_HOSTILE_FULL") else [v for v in TEXT if v.name in FORM_KINDS]
)
SKIPPED_PREFIXES = ("/api/", "/admin/", "/static/", "/media/", "/i18n/setlang")
MAX_PAGES = 150

# Failures that wait for the per-field input layer (`core.inputs`): the start of a
# problem line ("POST route [field") -> (reason, database). Listed, they do not fail
# the run; a listed one that no longer fails does, so the list only shrinks.
PENDING = pending({})


@dataclass
class Form:
    page: str
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # (name, default)


class _Forms(HTMLParser):
    """The links and forms of one page."""

    def __init__(self, page: str):
        super().__init__()
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._selected = False
        self._textarea: str | None = None
        self._submit_taken = False

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            self._form = Form(self.page, action, (a.get("method") or "get").lower())
            self._submit_taken = False
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("file", "image", "reset", "button"):
                return
            if kind == "submit":
                if not self._submit_taken:
                    self._form.fields.append((a["name"], a.get("value", "")))
                    self._submit_taken = True
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                if not any(n == a["name"] for n, _ in self._form.fields):
                    self._form.fields.append((a["name"], ""))
                return
            self._form.fields.append((a["name"], a.get("value", "")))
        elif tag == "button" and a.get("type", "submit") == "submit" and not self._submit_taken:
            self._form.fields.append((a["name"], a.get("value", "")))
            self._submit_taken = True
        elif tag == "select":
            self._select, self._selected = a["name"], False
            self._form.fields.append((a["name"], ""))
        elif tag == "option" and self._select and a.get("value") and not self._selected:
            self._form.fields[-1] = (self._select, a["value"])
            self._selected = "selected" in a
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.fields.append((a["name"], ""))

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self._form and self._form.fields[-1][0] == self._textarea:
            self._form.fields[-1] = (self._textarea, data.strip())


def _plain_routes() -> list[str]:
    """Every page URL that takes no argument."""
    from django.urls import reverse

    out = []

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                try:
                    out.append(reverse(f"{namespace}{p.name}"))
                except Exception:  # noqa: BLE001 (takes arguments)
                    continue

    walk(get_resolver().url_patterns)
    return sorted(set(out))


def _route(path: str) -> str | None:
    try:
        return resolve(path).route
    except Resolver404:
        return None


def _local(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in ("", "testserver") or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(SKIPPED_PREFIXES) or "logout" in parts.path:
        return None
    return parts.path + ("?" + parts.query if parts.query else "")


def _walk(client: Client, starts: list[str]) -> list[Form]:
    """The forms of the pages reachable from `starts`, one page per route."""
    queue, seen_routes, forms = list(starts), set(), []
    while queue and len(seen_routes) < MAX_PAGES:
        url = _local(queue.pop(0))
        if url is None:
            continue
        route = _route(urlsplit(url).path)
        if route is None or route in seen_routes:
            continue
        seen_routes.add(route)
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _Forms(url)
        parser.feed(response.content.decode("utf-8", "replace"))
        forms.extend(f for f in parser.forms if _local(f.action) and f.fields)
        queue.extend(parser.links)
    return forms


def _encode(fields: list[tuple[str, str]]) -> str:
    return "&".join(
        f"{quote(n, safe='')}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
        for n, v in fields
    )


def _world(county):
    actors = Actors(county)
    for household in county.households_a[:2]:
        factories.appeal(household)
    factories.contact(county.rep_a, county.households_a[0], actor=actors.rep)
    return actors


@pytest.mark.django_db
def test_every_form_survives_the_corpus(county):
    actors = _world(county)
    starts = ["/"] + _plain_routes()
    totals: Counter = Counter()
    problems: list[str] = []
    done: set[tuple] = set()
    for who in (actors.rep, actors.town, None):
        client = Client(raise_request_exception=False)
        if who is not None:
            client.force_login(who)
        session = client.cookies.get(settings.SESSION_COOKIE_NAME)
        for form in _walk(client, starts):
            route = _route(urlsplit(form.action).path)
            key = (route, form.method, tuple(n for n, _ in form.fields), who is None)
            if key in done:
                continue
            done.add(key)
            totals["forms"] += 1
            for index, (name, _default) in enumerate(form.fields):
                if name == "csrfmiddlewaretoken":
                    continue
                for value in FORM_VALUES:
                    fields = list(form.fields)
                    fields[index] = (name, value.text or "")
                    body = _encode(fields)
                    with transaction.atomic():
                        if form.method == "post":
                            response = client.generic(
                                "POST",
                                urlsplit(form.action).path,
                                body,
                                content_type="application/x-www-form-urlencoded",
                            )
                        else:
                            response = client.generic(
                                "GET", urlsplit(form.action).path + "?" + body
                            )
                        transaction.set_rollback(True)
                    if session is not None:
                        client.cookies[settings.SESSION_COOKIE_NAME] = session.value
                    totals["requests"] += 1
                    if response.status_code >= 500:
                        totals["5xx"] += 1
                        problems.append(
                            f"{form.method.upper()} {route} [{name}={value.name}] "
                            f"as {getattr(who, 'name', 'visitor')}: {response.status_code}"
                        )
    summary = (
        f"hostile corpus over the page forms: {totals['forms']} forms, "
        f"{totals['requests']} requests, {totals['5xx']} answered 5xx"
    )
    FIGURES["hostile-forms"] = summary
    assert totals["forms"] >= 10, summary
    unexpected = [p for p in problems if not any(p.startswith(k) for k in PENDING)]
    fixed = [k for k in PENDING if not any(p.startswith(k) for p in problems)]
    assert not fixed, f"listed as pending but pass now, remove from PENDING: {fixed}"
    assert not unexpected, f"{summary}\n" + "\n".join(unexpected[:80])
