"""Validation of Chinese ID card numbers and mobile numbers.

Each function returns the normalised value or raises InvalidInput with a
message in the user's language.
"""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django.utils.translation import gettext as _
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

from .errors import InvalidInput

# Free text and coordinates are checked by the input layer (`core.inputs`); older code
# imports them from here.
from .inputs import clean_coordinate, clean_text

__all__ = [
    "birth_date_from_id",
    "clean_coordinate",
    "clean_text",
    "normalize_id_number",
    "normalize_mobile",
]


def normalize_id_number(value: str) -> str:
    """Validate an 18-digit resident ID number (check digit and birth date)."""
    number = ric.compact(value or "")
    # Not ric.validate(): it also requires the region code to have existed in
    # the birth year, which refuses real numbers issued after a county was
    # renamed (Liuyang became 430181 in 1993; its older residents hold either).
    if len(number) != 18:
        raise InvalidInput(_("ID card number must have 18 characters."), code="id_number_length")
    if not number[:-1].isdigit() or not (number[-1].isdigit() or number[-1] == "X"):
        raise InvalidInput(
            _("ID card number may contain only digits and a final X."), code="id_number_format"
        )
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidInput(_("ID card number check digit is wrong."), code="id_number_checksum")
    try:
        ric.get_birth_date(number)
    except InvalidComponent:
        raise InvalidInput(
            _("ID card number contains an invalid birth date."), code="id_number_birth_date"
        ) from None
    if ric.get_birth_date(number) > dt.date.today():
        raise InvalidInput(
            _("ID card number contains an invalid birth date."), code="id_number_birth_date"
        )
    return number


def birth_date_from_id(number: str) -> dt.date:
    return ric.get_birth_date(number)


def normalize_mobile(value: str) -> str:
    """Validate a mainland-China mobile number and return its 11 digits."""
    raw = (value or "").strip().replace(" ", "").replace("-", "")
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidInput(
            _("Mobile number is not a valid number."), code="mobile_invalid"
        ) from None
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(_("Mobile number is not a valid number."), code="mobile_invalid")
    if phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidInput(
            _("Mobile number must be a mobile phone number."), code="mobile_not_mobile"
        )
    return str(parsed.national_number)
