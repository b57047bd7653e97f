"""The demo data of the whole platform, assembled from the top layer.

`org.demo` builds the organisation (the unit tree, households, people, links and
the demo accounts) and knows nothing of the apps above it. Each domain above
`org` then seeds its own rows into that tree from its own `demo.py`. Only this
module, which sits above them all, knows the list; a new app appends its seeder
here, in layer order.
"""

from __future__ import annotations

from collections.abc import Callable

from linli.activities import demo as activities_demo
from linli.appeals import demo as appeals_demo
from linli.charter import demo as charter_demo
from linli.conduct import demo as conduct_demo
from linli.deliberation import demo as deliberation_demo
from linli.doorbell import demo as doorbell_demo
from linli.duties import demo as duties_demo
from linli.evaluation import demo as evaluation_demo
from linli.funds import demo as funds_demo
from linli.honours import demo as honours_demo
from linli.notices import demo as notices_demo
from linli.training import demo as training_demo

# In layer order: a seeder may rely on the rows of those before it.
DOMAIN_SEEDERS: tuple[Callable[..., int], ...] = (
    appeals_demo.seed,
    duties_demo.seed,
    charter_demo.seed,
    conduct_demo.seed,
    activities_demo.seed,
    notices_demo.seed,
    deliberation_demo.seed,
    doorbell_demo.seed,
    funds_demo.seed,
    training_demo.seed,
    evaluation_demo.seed,
    honours_demo.seed,
)


def seed_domains(progress: Callable[[str], object] = print) -> None:
    """Seed every domain above `org` (the small demo only; the county is org-only)."""
    for seed in DOMAIN_SEEDERS:
        seed(progress=progress)
