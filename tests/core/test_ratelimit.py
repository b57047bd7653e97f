"""core/ratelimit.py: fixed windows, limits from settings, the wait, failing open."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.utils import translation

from linli.core import ratelimit
from linli.core.errors import Throttled
from tests.support.clock import LimiterClock


@pytest.fixture
def clock(monkeypatch):
    return LimiterClock(monkeypatch)


def test_check_refuses_past_the_limit_and_the_count_resets_with_the_window(clock):
    for _ in range(3):
        ratelimit.check("t", "k", limit=3, window=60)
    with pytest.raises(Throttled) as refused:
        ratelimit.check("t", "k", limit=3, window=60)
    assert refused.value.retry_after == 55
    assert refused.value.status == 429 and refused.value.code == "throttled"
    ratelimit.check("t", "other", limit=3, window=60)  # another key counts apart

    clock.advance(55)

    ratelimit.check("t", "k", limit=3, window=60)


@override_settings(LINLI={"THROTTLES": {"named": (2, 600)}})
def test_a_scope_in_settings_brings_its_limit(clock):
    ratelimit.check("named", "k")
    ratelimit.check("named", "k")
    with pytest.raises(Throttled) as refused:
        ratelimit.check("named", "k")
    assert refused.value.retry_after == 595
    assert ratelimit.exceeded("named", "k") == 595
    ratelimit.reset("named", "k")
    assert ratelimit.exceeded("named", "k") == 0


def test_a_scope_without_a_limit_is_a_programming_error():
    with pytest.raises(KeyError):
        ratelimit.check("no-such-scope", "k")


def test_the_wait_is_told_in_seconds_then_minutes():
    with translation.override("zh-hans"):
        assert ratelimit.throttled(55).message == "尝试次数过多。请 55 秒后再试。"
        assert ratelimit.throttled(895).message == "尝试次数过多。请 15 分钟后再试。"
    with translation.override("en"):
        assert ratelimit.throttled(61).message == "Too many attempts. Try again in 61 seconds."
        assert ratelimit.throttled(3595).message == "Too many attempts. Try again in 60 minutes."


def test_a_failing_cache_counts_nothing_and_logs(monkeypatch, caplog):
    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("refused")

            return fail

    monkeypatch.setattr(ratelimit, "cache", Down())
    for _ in range(5):
        ratelimit.check("t", "k", limit=1, window=60)
    assert ratelimit.exceeded("t", "k", limit=1, window=60) == 0
    ratelimit.reset("t", "k", window=60)
    # One warning: the calls after the failure leave the cache alone for a while.
    assert caplog.text.count("rate limiting is off") == 1

    monkeypatch.undo()
    ratelimit.forget_outage()
    ratelimit.check("t", "k", limit=1, window=60)
    with pytest.raises(Throttled):
        ratelimit.check("t", "k", limit=1, window=60)


def test_every_configured_limit_is_documented():
    from pathlib import Path

    from django.conf import settings

    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text("utf-8")
    section = doc.split("## Throttling and lockout", 1)[1].split("\n## ", 1)[0]
    missing = [scope for scope in settings.LINLI["THROTTLES"] if f"`{scope}`" not in section]
    assert not missing, f"add to docs/security.md, Throttling and lockout: {missing}"
