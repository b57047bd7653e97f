"""A score from a representative's figures and a year's weights: pure arithmetic, no
queries (the figures come from `facts`).

Each part is a share between 0 and 1:

| part | share |
|---|---|
| duties | duty periods fulfilled / owed (all duties of the compliance engine) |
| appeals | appeals resolved / owned (filed in the year, not merged or withdrawn) |
| ratings | satisfied ratings / ratings |
| activities | activities organised and held / the year's target (at most 1) |
| doorbell | alarms answered in person / alarms they were told of |
| funds | fund spent / allocated |
| training | minutes of training attended / the year's target (at most 1) |

A part with nothing to measure (no duty owed, no appeal owned, no rating, no alarm,
no fund opened; or a source nobody used in the year) has **no data**: its weight is
shared among the parts that have data, so a representative is not marked down for
what did not happen. The points of a part are
`weight × share / (sum of the weights with data) × 100`; the total is their sum
rounded to hundredths, and the parts are rounded by largest remainder so that the
breakdown adds up exactly to the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .facts import Facts, Sources
from .models import FULL_MARKS, PARTS


@dataclass(slots=True)
class Part:
    name: str
    weight: int
    num: int  # the share is num / den
    den: int
    no_data: bool
    points: int = 0  # hundredths

    def as_json(self) -> dict[str, Any]:
        return {
            "weight": self.weight,
            "num": self.num,
            "den": self.den,
            "no_data": self.no_data,
            "points": self.points,
        }


def shares(f: Facts, targets: dict[str, int], src: Sources) -> dict[str, tuple[int, int]]:
    """(num, den) of each part; den 0 means no data."""
    act_target = int(targets["activities"])
    train_target = int(targets["training_minutes"])
    return {
        "duties": (f.duty_fulfilled, f.duty_required),
        "appeals": (f.appeals_resolved, f.appeals_owned),
        "ratings": (f.appeals_satisfied, f.appeals_rated),
        "activities": (min(f.activities, act_target), act_target) if src.activities else (0, 0),
        "doorbell": (min(f.alarms_answered, f.alarms_told), f.alarms_told),
        "funds": (min(f.fund_spent, f.fund_amount), f.fund_amount) if f.fund_amount else (0, 0),
        "training": (min(f.training_minutes, train_target), train_target)
        if src.training
        else (0, 0),
    }


def score(f: Facts, weights: dict[str, int], targets: dict[str, int], src: Sources):
    """(total in hundredths, [Part, ...] in `PARTS` order); the parts' points sum to total."""
    parts = []
    for name, (num, den) in shares(f, targets, src).items():
        w = int(weights.get(name, 0))
        parts.append(Part(name, w, num, den, no_data=den <= 0 or w <= 0))
    counted = sum(p.weight for p in parts if not p.no_data)
    if counted == 0:
        return 0, parts
    exact = {
        p.name: Fraction(p.weight * p.num * FULL_MARKS, counted * p.den)
        for p in parts
        if not p.no_data
    }
    total_exact = sum(exact.values(), Fraction(0))
    total = int(total_exact + Fraction(1, 2))  # half up
    floors = {name: int(x) for name, x in exact.items()}
    left = total - sum(floors.values())
    # Largest remainder first; ties in the parts' order.
    order = sorted(exact, key=lambda n: (-(exact[n] - floors[n]), PARTS.index(n)))
    for name in order[:left]:
        floors[name] += 1
    for p in parts:
        if not p.no_data:
            p.points = floors[p.name]
    return total, parts


def competition_ranks(totals: list[tuple[int, int]]) -> dict[int, int]:
    """Ranks of (key, total) pairs, highest first; equal totals share a rank and the
    next rank skips ("1, 2, 2, 4")."""
    ordered = sorted(totals, key=lambda kt: (-kt[1], kt[0]))
    ranks: dict[int, int] = {}
    prev_total, prev_rank = None, 0
    for i, (key, total) in enumerate(ordered, 1):
        if total != prev_total:
            prev_total, prev_rank = total, i
        ranks[key] = prev_rank
    return ranks
