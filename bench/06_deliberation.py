"""The public notice board of deliberation decisions at county scale.

Loads, once, a deliberation list for every village of the county (20 items each, a
quarter of them published (公示) within the last weeks, each with its history and 3
residents' comments), then times the town's public board as the server renders it (the
page through Django's handler, middleware included, no login) and its API, for the
town with the most published items, and one item's public page.

Target: the board of a town, p95 server time < 300 ms.
Set LINLI_BENCH_DELIBERATION_RELOAD=1 to regenerate the rows.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
from pathlib import Path

from _common import measure, setup_django, table

ITEMS_PER_VILLAGE = 20
PUBLISHED_SHARE = 0.25
COMMENTS = 3
TARGET_MS = 300


def load() -> int:
    from django.db import transaction
    from django.utils import timezone

    from linli.deliberation.models import Comment, Item, ItemEvent, Stage
    from linli.org.models import Unit, UnitKind

    rng = random.Random(1207)
    now = timezone.now()
    villages = list(
        Unit.objects.filter(kind__in=[UnitKind.VILLAGE, UnitKind.COMMUNITY]).values_list(
            "pk", flat=True
        )
    )
    with transaction.atomic():
        Item.objects.all().delete()
        items = []
        for village in villages:
            for n in range(ITEMS_PER_VILLAGE):
                published = rng.random() < PUBLISHED_SHARE
                at = now - dt.timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 23))
                present = rng.randint(20, 30)
                votes_for = rng.randint(present // 2, present)
                items.append(
                    Item(
                        unit_id=village,
                        title=f"议事事项{n + 1}：村组道路、水利设施修缮",
                        description="代表提出，经村民代表会议讨论表决",
                        source="cadre",
                        stage=Stage.PUBLISHED
                        if published
                        else rng.choice(
                            [Stage.PROPOSED, Stage.SCHEDULED, Stage.DECIDED, Stage.IN_PROGRESS]
                        ),
                        present=present if published else None,
                        votes_for=votes_for if published else None,
                        votes_against=present - votes_for if published else None,
                        votes_abstain=0 if published else None,
                        passed=True if published else None,
                        decision="同意实施，资金从村集体经费列支" if published else "",
                        decided_at=at if published else None,
                        published_at=at if published else None,
                        published_until=at + dt.timedelta(days=7) if published else None,
                        created_at=at - dt.timedelta(days=20),
                        updated_at=at,
                    )
                )
        Item.objects.bulk_create(items, batch_size=2000)
        published = list(
            Item.objects.filter(stage=Stage.PUBLISHED).values_list("pk", "published_at")
        )
        events, comments = [], []
        for pk, at in published:
            for action, to in (
                ("propose", "proposed"),
                ("decide", "decided"),
                ("publish", "published"),
            ):
                events.append(ItemEvent(item_id=pk, action=action, to_stage=to, at=at, note=""))
            for c in range(COMMENTS):
                comments.append(Comment(item_id=pk, name=f"居民{c + 1}", text="支持，希望尽快完工"))
        ItemEvent.objects.bulk_create(events, batch_size=5000)
        Comment.objects.bulk_create(comments, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cur:
        for t in ("deliberation_item", "deliberation_itemevent", "deliberation_comment"):
            cur.execute(f"ANALYZE {t}")
    return len(items)


def main() -> int:
    setup_django()
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from linli.deliberation import selectors
    from linli.deliberation.models import Item, Stage
    from linli.org.models import TOWN_DEPTH, Unit

    if not Unit.objects.filter(depth=TOWN_DEPTH).exists():
        print("the county is not built; run scripts/bench.sh (01_build_county.py) first")
        return 0
    if os.environ.get("LINLI_BENCH_DELIBERATION_RELOAD") == "1" or not Item.objects.exists():
        print("generating the deliberation lists (once) ...", flush=True)
        print(f"  items: {load():,}", flush=True)
    runs = int(os.environ.get("LINLI_BENCH_RUNS", "20"))
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        # Static files not collected (a CI run from an empty database): plain URLs, as the
        # test suite renders pages, rather than a 500 for a missing manifest entry.
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }

    # The town with the most items on the board.
    towns = {u.path: u for u in Unit.objects.filter(depth=TOWN_DEPTH)}
    per_town: dict[str, int] = {}
    for path, n in (
        Item.objects.filter(selectors.public_q()).values_list("unit__path").annotate(n=Count("id"))
    ):
        key = path[: TOWN_DEPTH * 4]
        per_town[key] = per_town.get(key, 0) + n
    if not per_town:
        print("nothing published; set LINLI_BENCH_DELIBERATION_RELOAD=1")
        return 1
    town = towns[max(per_town, key=per_town.get)]
    item = Item.objects.filter(stage=Stage.PUBLISHED, unit__path__startswith=town.path).first()
    client = Client(secure=True)

    def get(url: str):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    cases = [
        (f"board page {town.name} ({per_town[town.path]} items, page 1)",
         reverse("deliberation:public_board", kwargs={"unit_id": town.pk})),
        (f"board API {town.name}", f"/api/v1/public/deliberation/boards/{town.pk}"),
        ("item page", reverse("deliberation:public_item", kwargs={"pk": item.pk})),
        ("item API", f"/api/v1/public/deliberation/items/{item.pk}"),
    ]  # fmt: skip
    rows, failed = [], False
    for label, url in cases:
        m = measure(get(url), runs)
        ok = m["p95"] < TARGET_MS
        failed |= not ok
        rows.append((label, runs, f"{m['median']:.1f}", f"{m['p95']:.1f}", "ok" if ok else "SLOW"))
    print(table(("public notice board", "runs", "median ms", "p95 ms", f"< {TARGET_MS} ms"), rows))
    print(f"target: the board of a town, p95 server time < {TARGET_MS} ms (no login)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
