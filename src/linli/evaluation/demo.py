"""Demo scores for the `small` demo county: this year's and last year's, computed from
the records the seeders before this one wrote (duties, appeals, activities, the
doorbell, the service fund), as the tick would compute them."""

from __future__ import annotations

from collections.abc import Callable

from linli.core.timeutil import today

from . import services
from .models import RunReason


def seed(progress: Callable[[str], object] = print) -> int:
    year = today().year
    last = services.scores_compute(year - 1, reason=RunReason.COMMAND)
    run = services.scores_compute(year, reason=RunReason.COMMAND)
    progress(
        f"  evaluation: {run.representatives} scores of {year}, {last.representatives} of {year - 1}"
    )
    return run.representatives
