"""The input layer: every value a request brings in is checked here, once.

A value the database, Excel or the code after it cannot hold is refused at the door
with a 400 (API) or the form's error (pages), never stored half-way and never a 500:

- **text**: no lone surrogates (`"\\ud800"` from JSON), no NUL, no control characters
  (newline, carriage return and tab only in multi-line text), and a length bound;
- **integers**: inside the column they go to (`MAX_ID` for ids, `MAX_INT` for an
  `IntegerField`, `MAX_SMALL` for a `SmallIntegerField`);
- **coordinates**: finite numbers, latitude in -90..90, longitude in -180..180;
- **dates**: in a sane window, `BIRTH_YEARS` (1900..2100) for birth dates and
  `EVENT_YEARS` (2000..2100) for anything that happens on the platform (records,
  terms, links, statistics and compliance periods), so date arithmetic never leaves
  Python's range (year 1..9999) and no query asks for the year 1.

Three forms of the same rules:

- **API** (django-ninja schemas, query and path parameters): `Annotated[str, Line(n)]`,
  `Annotated[str, Text(n)]`, and the types `Id`, `Int32`, `Count`, `SmallCount`, `Page`, `Latitude`,
  `Longitude`, `Day`, `BirthDate`, `Moment`. `SafeJsonParser` (the API's parser)
  also refuses lone surrogates, NUL, control characters and `NaN`/`Infinity` anywhere
  in a JSON body, and NUL/control characters in query strings and form fields, before
  any schema runs.
- **Forms**: the field classes `LineField`, `TextField`, `IdField`, `IntField`,
  `DayField`, `CoordinateField`, `IdChoiceField`, `IdMultipleChoiceField`, and
  `SafePasswordField`; a `forms.CharField` or an unbounded `IntegerField` in a linli
  form fails `tests/core/test_inputs_coverage.py`.
- **Plain functions** for services and views: `check_text`, `clean_text`,
  `clean_coordinate`, `is_id`, `parse_id`, `parse_day`.

This module imports no other linli app.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any

import annotated_types
from django import forms
from django.core.exceptions import BadRequest, ValidationError
from django.utils.translation import gettext as _
from ninja.parser import Parser
from pydantic import AfterValidator, AllowInfNan, BeforeValidator

from .errors import InvalidInput

if TYPE_CHECKING:
    from django.http import HttpRequest, QueryDict
    from django.http.response import HttpResponseBase
    from django.utils.datastructures import MultiValueDict

# --- bounds -------------------------------------------------------------------------------

# The largest value of a 64-bit signed primary key (PostgreSQL bigint, SQLite INTEGER).
MAX_ID = 2**63 - 1
# IntegerField / PositiveIntegerField (PostgreSQL integer).
MAX_INT = 2**31 - 1
# SmallIntegerField / PositiveSmallIntegerField (PostgreSQL smallint).
MAX_SMALL = 2**15 - 1
# A page number: with at most 200 rows a page the offset stays far inside 64 bits.
MAX_PAGE = 10**9

BIRTH_YEARS = (1900, 2100)
EVENT_YEARS = (2000, 2100)

# What no text may hold: lone surrogates, C0 controls (NUL included), DEL and C1.
_BAD_MULTI = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Single-line text refuses newline, carriage return and tab too.
_BAD_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


# --- text ---------------------------------------------------------------------------------


def bad_character(value: str, *, multiline: bool = True) -> str | None:
    """The first character `value` may not hold, or None."""
    match = (_BAD_MULTI if multiline else _BAD_LINE).search(value)
    return match.group() if match else None


def _bad_text_message() -> str:
    return _("The text contains characters that are not allowed (control characters).")


def check_text(value: str, label: str | None = None, *, multiline: bool = True) -> str:
    """`value` unchanged, or InvalidInput (`bad_characters`) when it holds a character
    no text may hold."""
    if bad_character(value, multiline=multiline) is not None:
        message = (
            _("%(label)s contains characters that are not allowed.") % {"label": label}
            if label
            else _bad_text_message()
        )
        raise InvalidInput(message, code="bad_characters")
    return value


def clean_text(
    value: str | None,
    label: str,
    max_length: int,
    *,
    required: bool = False,
    multiline: bool = True,
) -> str:
    """Strip free text; refuse it when required and empty, too long, or holding a
    character no text may hold."""
    text = check_text((value or "").strip(), label, multiline=multiline)
    if required and not text:
        raise InvalidInput(_("%(label)s is required.") % {"label": label}, code="required")
    if len(text) > max_length:
        raise InvalidInput(
            _("%(label)s is longer than %(n)d characters.") % {"label": label, "n": max_length},
            code="too_long",
        )
    return text


class TextRule:
    """Marks a pydantic `str` as checked by this module (the coverage test looks for it)."""

    def __init__(self, multiline: bool) -> None:
        self.multiline = multiline

    def __call__(self, value: str) -> str:
        if bad_character(value, multiline=self.multiline) is not None:
            raise ValueError(_bad_text_message())
        return value

    def __repr__(self) -> str:
        return f"TextRule(multiline={self.multiline})"


_LINE_RULE = TextRule(multiline=False)
_TEXT_RULE = TextRule(multiline=True)


@dataclass(frozen=True)
class Line(annotated_types.GroupedMetadata):
    """Single-line text of at most `max_length` characters (names, codes, addresses):
    `name: Annotated[str, Line(50)]`."""

    max_length: int
    min_length: int = 0

    def rule(self) -> TextRule:
        return _LINE_RULE

    def __iter__(self) -> Iterator[object]:
        yield annotated_types.Len(self.min_length, self.max_length)
        yield AfterValidator(self.rule())


@dataclass(frozen=True)
class Text(Line):
    """Multi-line text (newline, carriage return and tab allowed) of at most `max_length`:
    `minutes: Annotated[str, Text(10000)]`."""

    def rule(self) -> TextRule:
        return _TEXT_RULE


# A password or one-time secret: single-line, bounded.
Secret = Annotated[str, Line(128)]
# A mainland mobile number as typed (spaces, dashes, +86); the services normalise it.
Phone = Annotated[str, Line(20)]
# A search text in a filter.
Search = Annotated[str, Line(100)]


# --- integers -----------------------------------------------------------------------------


def bounded(lo: int, hi: int) -> annotated_types.Interval:
    """An integer in lo..hi: `Annotated[int, bounded(1, 5)]`."""
    return annotated_types.Interval(ge=lo, le=hi)


def _not_boolean(value: Any) -> Any:
    """Pydantic's lax mode takes JSON true/false as 1/0: `{"member_id": true}` would name
    record #1. A number is a number."""
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    return value


NotBool = BeforeValidator(_not_boolean)

Id = Annotated[int, NotBool, bounded(1, MAX_ID)]
Int32 = Annotated[int, NotBool, bounded(-(2**31), MAX_INT)]
Count = Annotated[int, NotBool, bounded(0, MAX_INT)]  # a PositiveIntegerField
SmallCount = Annotated[int, NotBool, bounded(0, MAX_SMALL)]  # a PositiveSmallIntegerField
Page = Annotated[int, NotBool, bounded(1, MAX_PAGE)]


# --- coordinates --------------------------------------------------------------------------

Latitude = Annotated[float, AllowInfNan(False), annotated_types.Interval(ge=-90, le=90)]
Longitude = Annotated[float, AllowInfNan(False), annotated_types.Interval(ge=-180, le=180)]


def clean_coordinate(value: object, lo: int, hi: int, label: str) -> Decimal | None:
    """A latitude or longitude to 6 decimals (about 0.1 m), or None when empty."""
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(
            _("%(field)s must be a number.") % {"field": label}, code="coordinate"
        ) from None
    if not d.is_finite() or not lo <= d <= hi:
        raise InvalidInput(_("%(field)s is out of range.") % {"field": label}, code="coordinate")
    return d


# --- dates --------------------------------------------------------------------------------


def _year_of(value: dt.date) -> int:
    return value.year


class DateWindow:
    """Marks a pydantic date or datetime as kept inside a window of years."""

    def __init__(self, years: tuple[int, int]) -> None:
        self.years = years

    def __call__(self, value: dt.date) -> dt.date:
        if not self.years[0] <= _year_of(value) <= self.years[1]:
            raise ValueError(window_message(self.years))
        return value

    def __repr__(self) -> str:
        return f"DateWindow({self.years})"


def window_message(years: tuple[int, int]) -> str:
    return _("The date must be between the years %(lo)d and %(hi)d.") % {
        "lo": years[0],
        "hi": years[1],
    }


Day = Annotated[dt.date, AfterValidator(DateWindow(EVENT_YEARS))]
BirthDate = Annotated[dt.date, AfterValidator(DateWindow(BIRTH_YEARS))]
Moment = Annotated[dt.datetime, AfterValidator(DateWindow(EVENT_YEARS))]


def in_window(day: dt.date, years: tuple[int, int] = EVENT_YEARS) -> bool:
    return years[0] <= day.year <= years[1]


def parse_day(value: str | None, years: tuple[int, int] = EVENT_YEARS) -> dt.date | None:
    """An ISO date from a query string inside `years`, or None when empty or malformed."""
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if in_window(day, years) else None


# --- ids from query strings and forms -----------------------------------------------------


def is_id(value: Any) -> bool:
    """Is `value` (as submitted) a decimal row id the database can hold?"""
    text = str(value).strip()
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


def parse_id(value: Any) -> int:
    """The row id `value` names, or InvalidInput (400 `invalid_id`)."""
    if not is_id(value):
        raise InvalidInput(_("Not a valid id."), code="invalid_id")
    return int(str(value).strip())


# --- the API's JSON parser ----------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _check_tree(data: Any) -> None:
    """Refuse, anywhere in decoded JSON, text no field may hold."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if bad_character(item, multiline=True) is not None:
                raise ValueError("control character or lone surrogate in the body")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class SafeJsonParser(Parser):
    """ninja's parser, refusing before any schema runs: lone surrogates, NUL and control
    characters (but newline, carriage return and tab) in any text of a JSON body, and
    `NaN`/`Infinity`; NUL and control characters in query strings and form fields.

    A refused body answers 400 `invalid` (ninja's "cannot parse"); a refused query or
    form field answers 400 `bad_characters`. Per-field types still bound lengths and
    ranges."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = json.loads(request.body, parse_constant=_reject_constant)
        _check_tree(data)
        return data  # type: ignore[no-any-return]  # ninja types it as a dict

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        for key, values in data.lists():
            for value in (key, *values):
                if isinstance(value, str):
                    check_text(value)
        return super().parse_querydict(data, list_fields, request)


# --- pages: the query string -------------------------------------------------------------


class InputMiddleware:
    """Pages: a path or query string (filters, paging, ids) holding NUL, a control
    character or a lone surrogate, a form field holding NUL, or an `<int:pk>` beyond any
    row id, answers the 400 page before any view reads it. Forms' own fields refuse other control characters beside the field; the
    API (`/api/`) checks its input with `SafeJsonParser` and its schemas."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path.startswith("/api/"):
            if bad_character(request.path, multiline=False):
                raise BadRequest(_bad_text_message())
            self._check(request.GET, multiline=False)
            if request.method == "POST" and request.content_type in _FORM_TYPES:
                self._check(request.POST, multiline=True, nul_only=True)
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        """A page's `<int:pk>` beyond any row id (the URL converter takes any digits)."""
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and value > MAX_ID:
                raise BadRequest(_("Not a valid id."))

    @staticmethod
    def _check(data: QueryDict, *, multiline: bool, nul_only: bool = False) -> None:
        for key, values in data.lists():
            for value in (key, *values):
                if not isinstance(value, str):
                    continue
                if ("\x00" in value) if nul_only else bad_character(value, multiline=multiline):
                    raise BadRequest(_bad_text_message())


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


# --- form fields --------------------------------------------------------------------------


def _text_validator(multiline: bool) -> Any:
    def validate(value: str) -> None:
        if bad_character(value, multiline=multiline) is not None:
            raise ValidationError(_bad_text_message(), code="bad_characters")

    return validate


class LineField(forms.CharField):
    """Single-line text: no control characters, no lone surrogates, `max_length` required."""

    multiline = False

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)
        self.validators.append(_text_validator(self.multiline))

    def to_python(self, value: Any) -> Any:
        # Check before stripping: a trailing control character is refused, not dropped.
        if isinstance(value, str) and bad_character(value, multiline=self.multiline):
            raise ValidationError(_bad_text_message(), code="bad_characters")
        return super().to_python(value)


class TextField(LineField):
    """Multi-line text (a textarea): newline, carriage return and tab allowed."""

    multiline = True
    widget = forms.Textarea


class SafePasswordField(LineField):
    """A password: never stripped, no control characters, bounded."""

    def __init__(self, *, max_length: int = 128, **kwargs: Any) -> None:
        kwargs.setdefault("strip", False)
        kwargs.setdefault("widget", forms.PasswordInput)
        super().__init__(max_length=max_length, **kwargs)


class IntField(forms.IntegerField):
    """An integer inside its column: `min_value`/`max_value` default to an IntegerField's."""

    def __init__(
        self, *, min_value: int = -(2**31), max_value: int = MAX_INT, **kwargs: Any
    ) -> None:
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)


class IdField(IntField):
    """A row id (1..2^63-1), e.g. a hidden unit or household id."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class DayInput(forms.DateInput):
    """The browser's date picker. Its value is always ISO (yyyy-mm-dd), whatever the
    language: `type="date"` shows nothing for a localised "2026/12/15"."""

    input_type = "date"

    def __init__(self, attrs: Any = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DayField(forms.DateField):
    """A date inside a window of years (`EVENT_YEARS` unless told), picked with `DayInput`."""

    widget = DayInput

    def __init__(self, *, years: tuple[int, int] = EVENT_YEARS, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.years = years

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not in_window(value, self.years):
            raise ValidationError(window_message(self.years), code="date_window")


class CoordinateField(forms.DecimalField):
    """A latitude (`lo=-90, hi=90`) or longitude (`-180..180`) to 6 decimals, finite."""

    def __init__(self, *, lo: int, hi: int, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 6)
        super().__init__(min_value=Decimal(lo), max_value=Decimal(hi), **kwargs)

    def to_python(self, value: Any) -> Any:
        # More decimals than a phone's GPS gives are rounded, not refused.
        number = super().to_python(value.strip() if isinstance(value, str) else value)
        if number is None:
            return None
        if not number.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if abs(number) > 1000:
            return number  # refused by the range check, which names the bound
        return number.quantize(Decimal("0.000001"))


def LatitudeField(**kwargs: Any) -> CoordinateField:  # noqa: N802 (a field)
    kwargs.setdefault("widget", forms.HiddenInput)
    return CoordinateField(lo=-90, hi=90, **kwargs)


def LongitudeField(**kwargs: Any) -> CoordinateField:  # noqa: N802 (a field)
    kwargs.setdefault("widget", forms.HiddenInput)
    return CoordinateField(lo=-180, hi=180, **kwargs)


if TYPE_CHECKING:
    _Single = forms.ModelChoiceField[Any]
    _Multiple = forms.ModelMultipleChoiceField[Any]
else:
    _Single = forms.ModelChoiceField
    _Multiple = forms.ModelMultipleChoiceField


class IdChoiceField(_Single):
    """`ModelChoiceField` that refuses a value no row id can be, before any query.

    Django's model choice fields hand any submitted value to the database; an integer
    beyond its range raises `OverflowError` on SQLite and a data error on PostgreSQL,
    a 500 instead of the form's "not one of the choices"."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if self.to_field_name in (None, "pk", "id") and not is_id(value):
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return super().to_python(value)


class IdMultipleChoiceField(_Multiple):
    """`ModelMultipleChoiceField` that refuses values no row id can be, before any query."""

    def _check_values(self, value: Iterable[Any]) -> Any:
        if self.to_field_name in (None, "pk", "id"):
            for v in value:
                if not is_id(v):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": v},
                    )
        return super()._check_values(value)  # type: ignore[misc]  # private in the stubs


# The field classes a linli form may use besides choices, booleans, files and UUIDs.
SAFE_FIELDS: tuple[type[forms.Field], ...] = (
    LineField,
    IntField,
    DayField,
    CoordinateField,
    IdChoiceField,
    IdMultipleChoiceField,
)

__all__ = [
    "BIRTH_YEARS",
    "EVENT_YEARS",
    "MAX_ID",
    "MAX_INT",
    "MAX_PAGE",
    "MAX_SMALL",
    "SAFE_FIELDS",
    "BirthDate",
    "CoordinateField",
    "Count",
    "DateWindow",
    "Day",
    "DayField",
    "Id",
    "IdChoiceField",
    "IdField",
    "IdMultipleChoiceField",
    "InputMiddleware",
    "Int32",
    "IntField",
    "Latitude",
    "LatitudeField",
    "Line",
    "LineField",
    "Longitude",
    "LongitudeField",
    "Moment",
    "Page",
    "Phone",
    "SafeJsonParser",
    "SafePasswordField",
    "Search",
    "Secret",
    "SmallCount",
    "Text",
    "TextField",
    "TextRule",
    "bad_character",
    "bounded",
    "check_text",
    "clean_coordinate",
    "clean_text",
    "in_window",
    "is_id",
    "parse_day",
    "parse_id",
]
