"""The test kit checks what it claims to check."""

import pytest

from linli.org.models import Household
from tests.support import factories
from tests.support.queries import assert_queries_flat

pytestmark = pytest.mark.django_db


def test_a_statement_per_row_is_caught(county):
    def one_per_row():
        return [h.unit.name for h in Household.objects.all()]

    with pytest.raises(AssertionError, match="one per row"):
        assert_queries_flat(lambda n: factories.add_households(county, n), one_per_row)


def test_a_flat_read_passes_and_its_count_is_returned(county):
    def joined():
        return [h.unit.name for h in Household.objects.select_related("unit")]

    assert assert_queries_flat(lambda n: factories.add_households(county, n), joined) == 1
