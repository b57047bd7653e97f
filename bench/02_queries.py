"""Median and p95 of the coverage and household-list queries at county scale.

Each run starts from a fresh user object, so the role look-up (scope) is
included, as in a request.
"""

from __future__ import annotations

import os
import sys

from _common import measure, setup_django, table


def main() -> int:
    setup_django()
    from linli.core.paging import paginate
    from linli.org import selectors
    from linli.org.models import Unit

    runs = int(os.environ.get("LINLI_BENCH_RUNS", "20"))

    def user(phone: str):
        from linli.accounts.selectors import user_by_phone

        return user_by_phone(phone)

    city = Unit.objects.get(depth=1, name="浏阳市")
    town = Unit.objects.get(parent=city, name="大瑶镇")
    village = Unit.objects.get(parent=town, name="李畋村")
    n_town = Unit.objects.filter(path__startswith=town.path).count()

    def coverage_city():
        cov = selectors.coverage_for(user("13800000000"), city)
        return cov.total.households

    def coverage_village():
        return selectors.coverage_for(user("13800000004"), village).total.households

    def town_households_page():
        qs = selectors.households_visible_to(user("13800000003")).order_by("unit__path", "id")
        page = paginate(qs, 1)
        return len(page.object_list), page.paginator.count

    def town_uncovered():
        page = paginate(selectors.uncovered_households(user("13800000003"), town), 1)
        return len(page.object_list), page.paginator.count

    cases = [
        ("coverage_for(superuser, city)", coverage_city),
        ("coverage_for(village cadre, 李畋村)", coverage_village),
        ("households_visible_to(town cadre) page 1 + count", town_households_page),
        ("uncovered_households(town cadre, 大瑶镇) page 1 + count", town_uncovered),
    ]
    print(f"{runs} runs each; 大瑶镇 has {n_town} units")
    rows = []
    for label, fn in cases:
        result = fn()
        stats = measure(fn, runs)
        rows.append(
            (label, f"{stats['median']:.1f}", f"{stats['p95']:.1f}", f"{stats['max']:.1f}", result)
        )
    print(table(("query", "median ms", "p95 ms", "max ms", "result"), rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
