"""Run functions at once, each in a thread of its own with its own database connection,
released together by a barrier: the PostgreSQL row-lock races of the suite."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections

from linli.core.errors import DomainError


def race(fns: list[Callable[[], Any]]) -> list[Any]:
    """Each function's result, or the DomainError it raised, in order."""
    barrier = threading.Barrier(len(fns))
    outcomes: list[Any] = [None] * len(fns)

    def run(i: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[i] = fn()
        except DomainError as exc:
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes
