"""Shared by the benchmark scripts: Django set-up and timing helpers."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/linli_bench"


def bench_url() -> str:
    return os.environ.get("LINLI_BENCH_DATABASE_URL", DEFAULT_URL)


def setup_django() -> None:
    os.environ["LINLI_DATABASE_URL"] = bench_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def measure(fn, runs: int, warmup: int = 1) -> dict[str, float]:
    """Median and p95 wall time of `fn()` over `runs` runs, in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, max(0, round(0.95 * len(times)) - 1))]
    return {"median": statistics.median(times), "p95": p95, "min": times[0], "max": times[-1]}


def table(header, rows) -> str:
    from linli.org.demo import format_table

    return format_table(header, rows)
