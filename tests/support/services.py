"""Optional outside services (PostgreSQL, Chromium): skip, or fail when they are required."""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get("LINLI_REQUIRE_SERVICES") == "1"


def require_service(name: str, available: bool, reason: str) -> None:
    """Skip (or, with LINLI_REQUIRE_SERVICES=1, fail) when a service is missing."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (LINLI_REQUIRE_SERVICES=1) but {reason}")
    pytest.skip(f"{name} not available: {reason}")
