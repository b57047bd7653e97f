"""Explicit cross-app notifications of changes, for derived data (caches and
rollups) only; history and audit are written by the services themselves.

A service that changes something others derive data from calls
`send("links_changed", ...)` inside its transaction; apps register receivers
in `AppConfig.ready()`. Unlike model signals, nothing fires implicitly: bulk
writes that bypass services must call `send` themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

_receivers: dict[str, list[Callable[..., None]]] = defaultdict(list)


def connect(name: str, receiver: Callable[..., None]) -> None:
    if receiver not in _receivers[name]:
        _receivers[name].append(receiver)


def send(name: str, **kwargs: Any) -> None:
    for receiver in list(_receivers[name]):
        receiver(**kwargs)
