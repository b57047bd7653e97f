"""One scope matrix for the whole project.

Every page (the Django URL configuration, walked recursively) and every API
operation (the OpenAPI document of `linli.api.api`) must be classified in
`tests/scope/matrix.py`. Then each is tried: anonymously (public ones answer,
the others send to the login page or answer 401), by strangers (a cadre and a
representative of the other town, a representative of the same group not linked
to the object: 404, no data; lists leave the object out) and by the owner (who
gets it, so the checks are not vacuous). One data set serves the module.
"""

from __future__ import annotations

import io
import json
import re
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from linli.accounts.models import AuditLog
from linli.appeals.models import Appeal, AppealEvent
from linli.duties.models import AnnualReport, ContactLog, Deliberation, HomeVisit
from linli.notify.models import Notification
from linli.org.models import (
    GuardTeam,
    Household,
    HouseholdLink,
    Member,
    Place,
    Representative,
    Unit,
)

from . import matrix
from .matrix import ADMIN, ANY_USER, PUBLIC, SCOPED, Entry
from .world import World

MATRIX_FILE = "tests/scope/matrix.py"


# --- what exists ------------------------------------------------------------------------------


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace
            if namespace and ns:
                ns = f"{namespace}:{ns}"
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns or namespace)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), namespace, p


def _is_api_operation(pattern: URLPattern) -> bool:
    return getattr(pattern.callback, "__module__", "") == "ninja.operation"


def django_urls() -> dict[str, tuple[str, str | None]]:
    """Every page: key (`namespace:name`, or the route when unnamed) -> (route, namespace).
    The API's operations are left to `api_operations`."""
    out = {}
    for route, namespace, pattern in _walk(get_resolver().url_patterns):
        if _is_api_operation(pattern):
            continue
        if pattern.name:
            key = f"{namespace}:{pattern.name}" if namespace else pattern.name
        else:
            key = route
        out[key] = (route, namespace)
    return out


def _openapi_paths() -> dict:
    from linli.api import api

    return api.get_openapi_schema()["paths"]


def api_operations() -> dict[str, str]:
    """Every API operation: `METHOD /api/v1/path/{param}` -> its operationId."""
    out = {}
    for path, operations in _openapi_paths().items():
        for method, op in operations.items():
            out[f"{method.upper()} {path}"] = op.get("operationId", "")
    return out


def _django_route_as_openapi(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def classification(key: str, namespace: str | None) -> Entry | None:
    entry = matrix.PAGES.get(key)
    if entry is None and namespace:
        entry = matrix.NAMESPACES.get(namespace.split(":")[0])
    return entry


# --- the table is complete and current ---------------------------------------------------------


def test_every_page_and_operation_is_classified():
    missing = [
        f"page {key!r} ({route})"
        for key, (route, ns) in sorted(django_urls().items())
        if classification(key, ns) is None
    ]
    missing += [
        f"API operation {key!r} ({op})"
        for key, op in sorted(api_operations().items())
        if key not in matrix.API
    ]
    assert not missing, (
        "Nobody classified these URLs; add each to PAGES or API in "
        f"{MATRIX_FILE} as public, any_user, scoped or admin:\n  " + "\n  ".join(missing)
    )


def test_every_classified_entry_still_exists():
    pages = django_urls()
    operations = api_operations()
    stale = [f"PAGES[{k!r}]" for k in matrix.PAGES if k not in pages]
    stale += [f"API[{k!r}]" for k in matrix.API if k not in operations]
    namespaces = {ns.split(":")[0] for _r, ns in pages.values() if ns}
    stale += [f"NAMESPACES[{k!r}]" for k in matrix.NAMESPACES if k not in namespaces]
    assert not stale, (
        f"These entries of {MATRIX_FILE} name URLs that no longer exist (renamed? "
        "removed?):\n  " + "\n  ".join(stale)
    )


def test_no_api_operation_hides_from_the_document():
    """Operations are listed from the OpenAPI document; one left out of it
    (`include_in_schema=False`) would escape the matrix."""
    documented = set(_openapi_paths())
    routes = {
        _django_route_as_openapi(route)
        for route, _ns, pattern in _walk(get_resolver().url_patterns)
        if _is_api_operation(pattern)
    }
    assert routes <= documented, sorted(routes - documented)


# --- the data set ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module inside a transaction that is rolled back at the end;
    each test runs in a savepoint of it (the `db` fixture)."""
    media = tmp_path_factory.mktemp("scope-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        with transaction.atomic():
            built = World()
            yield built
            transaction.set_rollback(True)


@pytest.fixture
def w(world, db):
    return world


# --- requests -------------------------------------------------------------------------------


def _page_request(w: World, key: str, entry: Entry) -> tuple[str, str, dict | None]:
    path = reverse(key, kwargs=entry.kwargs(w) if entry.kwargs else None)
    if entry.query:
        path += "?" + urlencode(entry.query(w))
    return entry.method, path, entry.body(w) if entry.body else None


def _api_request(w: World, key: str, entry: Entry) -> tuple[str, str, dict | None]:
    method, template = key.split(" ", 1)
    path = template.format(**(entry.kwargs(w) if entry.kwargs else {}))
    if entry.query:
        path += "?" + urlencode(entry.query(w))
    return method, path, entry.body(w) if entry.body else None


def page_call(w: World, who: str, key: str, entry: Entry, post: bool = False):
    method, path, body = _page_request(w, key, entry)
    if post:
        method, body = "POST", entry.post(w)
    client = w.page_client(who)
    if method == "GET":
        return client.get(path)
    return client.generic(method, path) if body is None else client.post(path, body)


def api_call(w: World, who: str, key: str, entry: Entry):
    method, path, body = _api_request(w, key, entry)
    api = w.api_client(who)
    if entry.multipart:
        return api.client.post(path, body, headers=api.headers)
    if method == "GET":
        return api.client.get(path, headers=api.headers)
    return api.client.generic(
        method,
        path,
        json.dumps(body if body is not None else {}),
        content_type="application/json",
        headers=api.headers,
    )


def text_of(response) -> str:
    """What the answer shows, as text: HTML, JSON (decoded), a spreadsheet's cells."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    ctype = response.get("Content-Type", "")
    if "json" in ctype:
        try:
            return json.dumps(json.loads(content), ensure_ascii=False)
        except ValueError:
            return content.decode("utf-8", "replace")
    if "spreadsheetml" in ctype:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return content.decode("utf-8", "replace")


WRITTEN = (
    AuditLog,
    Appeal,
    AppealEvent,
    AnnualReport,
    ContactLog,
    Deliberation,
    HomeVisit,
    Household,
    HouseholdLink,
    Member,
    Place,
    Representative,
    GuardTeam,
    Unit,
)


def written() -> dict[str, int]:
    """Row counts (and read marks) that a write would change; tokens issued to the
    test clients are left out."""
    counts = {m.__name__: m.objects.count() for m in WRITTEN}
    counts["AuditLog"] = AuditLog.objects.exclude(action="token.create").count()
    counts["unread"] = Notification.objects.filter(read_at__isnull=True).count()
    counts["serving"] = Representative.objects.filter(term_end__isnull=True).count()
    return counts


def _login_url() -> str:
    return resolve_url(settings.LOGIN_URL)


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(_login_url())


# --- the tables of tests --------------------------------------------------------------------

PAGE_KEYS = sorted(matrix.PAGES)
API_KEYS = sorted(matrix.API)
ALL = [("page", k) for k in PAGE_KEYS] + [("api", k) for k in API_KEYS]


def _entry(kind: str, key: str) -> Entry:
    return matrix.PAGES[key] if kind == "page" else matrix.API[key]


def _call(w, who, kind, key):
    entry = _entry(kind, key)
    return (page_call if kind == "page" else api_call)(w, who, key, entry)


WITH_OBJECT = [(kind, k) for kind, k in ALL if _entry(kind, k).has_object]
WITHOUT_OBJECT = [(kind, k) for kind, k in ALL if not _entry(kind, k).has_object]


def _id(param) -> str:
    kind, key = param
    return f"{kind}:{key}"


@pytest.mark.parametrize("case", ALL, ids=_id)
def test_anonymous(w, case):
    kind, key = case
    entry = _entry(kind, key)
    response = _call(w, "anonymous", kind, key)
    status = response.status_code
    where = f"{kind} {key} ({entry.cls}) anonymously: {status}"
    if entry.anon is not None:
        assert status == entry.anon, where
    elif entry.cls == PUBLIC:
        assert status < 500 and not _sent_to_login(response), where
    elif kind == "api":
        assert status == 401, where
    else:
        assert _sent_to_login(response), where
    if entry.marks is not None and entry.owner != "anonymous":
        text = text_of(response)
        assert not [m for m in entry.marks(w) if str(m) in text], where


@pytest.mark.parametrize("case", WITH_OBJECT, ids=_id)
def test_strangers_get_nothing(w, case):
    kind, key = case
    entry = _entry(kind, key)
    marks = [str(m) for m in entry.marks(w)] if entry.marks else []
    for who in entry.strangers:
        before = written()
        response = _call(w, who, kind, key)
        status = response.status_code
        where = f"{kind} {key} as {who}: {status}"
        if who in entry.refused:
            assert status == 403, where
        elif entry.listing:
            assert status == 200, where
        else:
            denied = entry.denied if isinstance(entry.denied, tuple) else (entry.denied,)
            assert status in denied, where
        text = text_of(response)
        shown = [m for m in marks if m in text]
        assert not shown, f"{where} shows {shown}"
        if entry.body is not None:
            assert written() == before, f"{where} wrote something"


@pytest.mark.parametrize("case", WITH_OBJECT, ids=_id)
def test_the_owner_gets_it(w, case):
    """Not vacuous: whoever may see the object gets it (and its data), and the write
    bodies the strangers sent are valid ones."""
    kind, key = case
    entry = _entry(kind, key)
    response = _call(w, entry.owner, kind, key)
    status = response.status_code
    where = f"{kind} {key} as {entry.owner}: {status}"
    if entry.body is None or entry.marks is not None:
        assert status == entry.ok, f"{where} {text_of(response)[:300]}"
    else:
        assert status < 400, f"{where} {text_of(response)[:300]}"
    if entry.marks is not None and status == 200:
        text = text_of(response)
        assert any(str(m) in text for m in entry.marks(w)), (
            f"{where} shows none of the marks: {text[:500]}"
        )


WITH_POST = [k for k in PAGE_KEYS if matrix.PAGES[k].post is not None]


@pytest.mark.parametrize("key", WITH_POST)
def test_strangers_cannot_write_through_a_form(w, key):
    entry = matrix.PAGES[key]
    for who in ("anonymous", *entry.strangers):
        before = written()
        response = page_call(w, who, key, entry, post=True)
        where = f"POST page {key} as {who}: {response.status_code}"
        if who == "anonymous":
            assert _sent_to_login(response), where
        else:
            assert response.status_code in entry.post_denied, where
        assert written() == before, f"{where} wrote something"
        if entry.marks is not None:
            text = text_of(response)
            assert not [m for m in entry.marks(w) if str(m) in text], f"{where} shows its data"
    before = written()
    response = page_call(w, entry.owner, key, entry, post=True)
    assert response.status_code == 302, f"POST page {key} as {entry.owner}: {response.status_code}"
    assert written() != before, f"POST page {key} as {entry.owner} wrote nothing"


@pytest.mark.parametrize("case", WITHOUT_OBJECT, ids=_id)
def test_a_logged_in_user_is_answered(w, case):
    kind, key = case
    entry = _entry(kind, key)
    response = _call(w, "town_a", kind, key)
    status = response.status_code
    where = f"{kind} {key} as town_a: {status}"
    assert status < 500 and not _sent_to_login(response), where
    if entry.cls == ADMIN:
        assert status in (403, 404), where
        assert _call(w, "superuser", kind, key).status_code < 400, f"{kind} {key} as superuser"


def _admin_paths() -> list[str]:
    out = []
    for route, namespace, _pattern in _walk(get_resolver().url_patterns):
        if namespace and namespace.split(":")[0] in matrix.NAMESPACES:
            out.append("/" + re.sub(r"<(?:\w+:)?\w+>", "1", route))
    return out


def test_the_admin_is_for_staff_only(w):
    paths = [p for p in _admin_paths() if "^" not in p and "(?P" not in p]
    assert paths
    admin_login = reverse("admin:login")
    for who in ("anonymous", "town_a", "rep_a"):
        client = w.page_client(who)
        for path in paths:
            if path.startswith(admin_login) or path.startswith(reverse("admin:logout")):
                continue
            response = client.get(path)
            assert response.status_code in (302, 404) and (
                response.status_code == 404 or admin_login in response["Location"]
            ), (who, path, response.status_code)
    assert w.page_client("superuser").get(reverse("admin:index")).status_code == 200


def test_classes_are_known():
    every = (
        list(matrix.PAGES.values()) + list(matrix.API.values()) + list(matrix.NAMESPACES.values())
    )
    assert {e.cls for e in every} <= {PUBLIC, ANY_USER, SCOPED, ADMIN}
