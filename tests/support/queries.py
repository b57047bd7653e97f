"""Query counts that must not grow with the data."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(fetch: Callable[[], object]) -> tuple[int, object, list[str]]:
    """Run `fetch` and return (number of statements, its result, the statements)."""
    with CaptureQueriesContext(connection) as ctx:
        result = fetch()
    return len(ctx.captured_queries), result, [q["sql"] for q in ctx.captured_queries]


def assert_queries_flat(
    build: Callable[[int], object], fetch: Callable[[], object], n: int = 3, warm: bool = True
):
    """Build `n` rows, count the statements of `fetch`; build `n` more, count again;
    the two counts must be equal (no statement per row). Returns the count.

    `build(n)` adds n rows of what `fetch` lists. `fetch` is called once first
    (`warm`) so one-off work (a cache filled on first read, a session row) is not
    counted; then once per count. A result with a `status_code` must be 200.
    """

    def measured():
        count, result, sql = count_queries(fetch)
        status = getattr(result, "status_code", 200)
        assert status == 200, f"fetch answered {status}: {getattr(result, 'content', b'')[:300]!r}"
        return count, sql

    build(n)
    if warm:
        fetch()
    first, first_sql = measured()
    build(n)
    if warm:
        fetch()
    second, second_sql = measured()
    assert first == second, (
        f"{first} statements with {n} rows, {second} with {2 * n}: one per row?\n"
        + "\n".join(q[:300] for q in second_sql)
    )
    return first
