from linli.org import selectors, services
from tests.support import factories
from tests.support.queries import assert_queries_flat


def test_coverage_counts_roll_up_the_tree(county, superuser):
    cov = selectors.coverage_for(superuser, county.city)
    assert cov.total.households == 14
    assert cov.total.uncovered_households == 2
    assert cov.total.representatives == 2
    assert cov.total.unassigned_places == 2
    by_name = {row.unit.name: row for row in cov.children}
    assert by_name["大瑶镇"].households == 7 and by_name["大瑶镇"].uncovered_households == 1
    assert by_name["永和镇"].uncovered_households == 1


def test_uncovered_households_are_listed(county, superuser):
    uncovered = list(selectors.uncovered_households(superuser, county.village_a))
    assert uncovered == [county.households_a[6]]


def test_representative_outside_range_is_listed(county, superuser):
    services.link_end(actor=superuser, household=county.households_a[0], reason="迁出")
    services.link_end(actor=superuser, household=county.households_a[1], reason="迁出")
    reps = list(selectors.representatives_out_of_range(superuser, county.town_a))
    assert reps == [county.rep_a] and reps[0].active_households == 4
    cov = selectors.coverage_for(superuser, county.city)
    assert cov.total.representatives_out_of_range == 1


def test_assigned_place_is_covered(county, superuser):
    services.place_assign(actor=superuser, place=county.place_a, representative=county.rep_a)
    assert list(selectors.unassigned_places(superuser, county.city)) == [county.place_b]


def test_coverage_query_count_does_not_grow_with_rows(county, superuser):
    def build(n):
        factories.add_representatives(county, n)
        factories.add_households(county, n)

    assert_queries_flat(build, lambda: selectors.coverage_for(superuser, county.city))
