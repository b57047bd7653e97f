"""The project as a WSGI application inside the test's database transaction.

`App` is what schemathesis' WSGI transport and the hostile corpus send requests to:
Django's own test handler (`ClientHandler`, the one `django.test.Client` uses, which
keeps the test's connection open), so every request sees the world the test built.
Each request runs in a savepoint that is rolled back when it answers 5xx: a query
PostgreSQL refused must not abort the transaction the following requests share.

`Tally` counts what was sent and what answered 5xx, per operation, for the figures
each run prints.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.test.client import ClientHandler


class App:
    """A WSGI callable over the Django project, for the test database."""

    def __init__(self, tally: Tally | None = None):
        self.handler = ClientHandler(enforce_csrf_checks=False)
        self.tally = tally

    def __call__(self, environ, start_response):
        environ["HTTP_HOST"] = environ["SERVER_NAME"] = "testserver"
        with transaction.atomic():
            response = self.handler(environ)
            if response.status_code >= 500:
                transaction.set_rollback(True)
            content = (
                b"".join(response.streaming_content) if response.streaming else response.content
            )
        if self.tally is not None:
            self.tally.add(environ, response.status_code)
        headers = [(k, v) for k, v in response.items()]
        for cookie in response.cookies.values():
            headers.append(("Set-Cookie", cookie.output(header="").strip()))
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return [content]


@dataclass
class Tally:
    """Requests sent and 5xx answers, each by `METHOD /path`."""

    requests: int = 0
    server_errors: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)

    def add(self, environ, status: int) -> None:
        self.requests += 1
        self.statuses[status] += 1
        if status >= 500:
            self.server_errors[f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"] += 1

    def summary(self, name: str) -> str:
        fives = sum(self.server_errors.values())
        by_status = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return f"{name}: {self.requests} requests, {fives} answered 5xx ({by_status})"


# The figures each run reports ("schemathesis": "... requests, ... 5xx"), printed at the
# end of the session by `pytest_terminal_summary` in this folder's conftest.
FIGURES: dict[str, str] = {}


def pending(table: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The known failures of this database: `table` maps a check to (reason, database),
    the database being "any", "sqlite" or "postgresql"."""
    from django.db import connection

    return {
        check: reason
        for check, (reason, vendor) in table.items()
        if vendor in ("any", connection.vendor)
    }
