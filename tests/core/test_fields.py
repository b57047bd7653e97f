"""Id choice fields refuse values no row id can be, as a form error, before any query."""

from __future__ import annotations

import pytest

from linli.core.fields import MAX_ID, IdChoiceField, IdMultipleChoiceField, is_id
from linli.org.models import Department

pytestmark = pytest.mark.django_db

NOT_IDS = ["9" * 40, str(MAX_ID + 1), "-1", "0", "1e3", "NaN", "\x00", "²", " ", "1.0"]


@pytest.mark.parametrize("value", NOT_IDS)
def test_a_value_no_id_can_be_is_a_form_error(value, reference_data, django_assert_num_queries):
    single = IdChoiceField(queryset=Department.objects.all())
    multiple = IdMultipleChoiceField(queryset=Department.objects.all())
    with django_assert_num_queries(0):
        assert not single.widget.value_from_datadict({}, {}, "x")
        with pytest.raises(Exception) as e1:
            single.clean(value)
        with pytest.raises(Exception) as e2:
            multiple.clean([value])
    assert e1.value.code == "invalid_choice" and e2.value.code == "invalid_pk_value"


def test_a_real_id_still_chooses_its_row(reference_data):
    dept = Department.objects.first()
    assert is_id(str(dept.pk)) and is_id(MAX_ID)
    assert IdChoiceField(queryset=Department.objects.all()).clean(str(dept.pk)) == dept
    assert list(IdMultipleChoiceField(queryset=Department.objects.all()).clean([dept.pk])) == [dept]
