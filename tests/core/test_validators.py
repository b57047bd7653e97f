import datetime as dt

import pytest

from linli.core.errors import InvalidInput
from linli.core.masking import mask_id_number, mask_phone
from linli.core.validators import normalize_id_number, normalize_mobile
from tests.support.factories import valid_id_number


def test_valid_id_number_is_accepted_and_normalised():
    number = valid_id_number(123)
    assert normalize_id_number(" " + number.lower() + " ") == number


def test_id_number_with_wrong_check_digit_is_refused():
    number = valid_id_number(123)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as exc:
        normalize_id_number(wrong)
    assert exc.value.code == "id_number_checksum"


@pytest.mark.parametrize(
    "value,code",
    [
        ("43018119800101", "id_number_length"),
        ("43018119801301001X", "id_number_birth_date"),
        ("4301811980010A0010", "id_number_format"),
    ],
)
def test_malformed_id_numbers_are_refused_with_a_code(value, code):
    with pytest.raises(InvalidInput) as exc:
        normalize_id_number(value)
    assert exc.value.code in {code, "id_number_checksum"}


def test_id_number_born_in_the_future_is_refused():
    future = (dt.date.today() + dt.timedelta(days=400)).strftime("%Y%m%d")
    with pytest.raises(InvalidInput):
        normalize_id_number(valid_id_number(5, birth=future))


@pytest.mark.parametrize("raw", ["13812345678", "+86 138 1234 5678", "138-1234-5678"])
def test_mobile_numbers_are_normalised(raw):
    assert normalize_mobile(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["12345", "0731-8888888", "23812345678", "abc"])
def test_non_mobile_numbers_are_refused(raw):
    with pytest.raises(InvalidInput):
        normalize_mobile(raw)


def test_masking_keeps_region_and_tail():
    assert mask_id_number("430181199001011234") == "430181********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("") == "" and mask_phone(None) == ""
