"""The input layer's types, fields and functions (`core.inputs`)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated

import pytest
from django.test import RequestFactory
from ninja import Schema
from pydantic import ValidationError

from linli.core.errors import InvalidInput
from linli.core.inputs import (
    MAX_ID,
    MAX_INT,
    MAX_SMALL,
    BirthDate,
    Count,
    Day,
    DayField,
    Id,
    IdField,
    IntField,
    Latitude,
    LatitudeField,
    Line,
    LineField,
    Longitude,
    LongitudeField,
    Moment,
    SafeJsonParser,
    SafePasswordField,
    SmallCount,
    Text,
    TextField,
    check_text,
    clean_coordinate,
    clean_text,
    is_id,
    parse_day,
    parse_id,
)

CONTROL = ["\x00", "\x01", "\x07", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f"]
SURROGATES = ["\ud800", "\udfff", "\udc80"]


class Sample(Schema):
    line: Annotated[str, Line(5)] = ""
    text: Annotated[str, Text(10)] = ""
    id: Id | None = None
    count: Count | None = None
    small: SmallCount | None = None
    lat: Latitude | None = None
    lng: Longitude | None = None
    day: Day | None = None
    birth: BirthDate | None = None
    at: Moment | None = None


def refused(**data) -> bool:
    try:
        Sample(**data)
    except ValidationError:
        return True
    return False


# --- text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", CONTROL + SURROGATES)
def test_text_refuses_control_characters_surrogates_and_nul(bad):
    assert refused(line=f"a{bad}b")
    assert refused(text=f"a{bad}b")
    with pytest.raises(InvalidInput) as exc:
        clean_text(f"a{bad}b", "名称", 50)
    assert exc.value.code == "bad_characters"


def test_newline_and_tab_only_in_multi_line_text():
    for ok in ("a\nb", "a\r\nb", "a\tb"):
        assert Sample(text=ok).text == ok
        assert refused(line=ok)
        assert clean_text(ok, "x", 10) == ok
        with pytest.raises(InvalidInput):
            clean_text(ok, "x", 10, multiline=False)
    assert Sample(line="王大 一").line == "王大 一"
    assert check_text("井盖\n坏了") == "井盖\n坏了"


def test_text_length_bounds():
    assert not refused(line="12345")
    assert refused(line="123456")
    assert refused(text="x" * 11)
    assert not refused(line="五个汉字啊")


# --- integers -----------------------------------------------------------------------------


def test_integers_are_bounded_to_their_column():
    assert Sample(id=MAX_ID).id == MAX_ID
    for bad in (0, -1, MAX_ID + 1, 2**64):
        assert refused(id=bad)
    assert not refused(count=MAX_INT)
    assert refused(count=MAX_INT + 1) and refused(count=-1)
    assert not refused(small=MAX_SMALL)
    assert refused(small=MAX_SMALL + 1)


@pytest.mark.parametrize("bad", ["9" * 40, str(MAX_ID + 1), "-1", "0", "1e3", "\x00", "²", ""])
def test_ids_from_query_strings(bad):
    assert not is_id(bad)
    with pytest.raises(InvalidInput):
        parse_id(bad)
    assert parse_id(f" {MAX_ID} ") == MAX_ID


# --- coordinates --------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), 90.000001, -91])
def test_latitude_is_finite_and_in_range(bad):
    assert refused(lat=bad)
    assert refused(lng=bad * 2 if abs(bad) != float("inf") else bad)


def test_coordinates_in_range():
    s = Sample(lat=-90, lng=180)
    assert (s.lat, s.lng) == (-90, 180)
    for bad in ("NaN", "Infinity", "91", "1e400", "abc"):
        with pytest.raises(InvalidInput):
            clean_coordinate(bad, -90, 90, "纬度")
    assert clean_coordinate("28.1234567", -90, 90, "纬度") == Decimal("28.123457")


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["0001-01-01", "1899-12-31", "9999-12-31", "2101-01-01"])
def test_dates_in_a_sane_window(bad):
    assert refused(day=bad)
    assert refused(birth=bad)
    assert refused(at=bad + "T00:00:00+08:00")
    assert parse_day(bad) is None


def test_windows_differ_for_birth_dates_and_events():
    assert Sample(birth="1930-05-01").birth == dt.date(1930, 5, 1)
    assert refused(day="1999-12-31")
    assert Sample(day="2025-02-03").day == dt.date(2025, 2, 3)
    assert parse_day("2025-02-03") == dt.date(2025, 2, 3)
    assert parse_day("nonsense") is None


# --- the JSON parser ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"a": "\\ud800"}',
        '{"a": "x\\u0000"}',
        '{"a": ["\\u001b"]}',
        '{"\\u0007": 1}',
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": {"b": -Infinity}}',
    ],
)
def test_the_api_parser_refuses_bad_bodies(body):
    request = RequestFactory().post("/api/v1/x", body, content_type="application/json")
    with pytest.raises(ValueError):
        SafeJsonParser().parse_body(request)


def test_the_api_parser_keeps_good_bodies():
    body = {"a": "第一行\n第二行\t", "n": 2**70, "f": 1.5, "l": [None, True]}
    request = RequestFactory().post("/x", json.dumps(body), content_type="application/json")
    assert SafeJsonParser().parse_body(request) == body


# --- form fields --------------------------------------------------------------------------


def _clean(field, value):
    from django.core.exceptions import ValidationError as DjangoValidationError

    try:
        return True, field.clean(value)
    except DjangoValidationError:
        return False, None


@pytest.mark.parametrize("bad", CONTROL + SURROGATES)
def test_form_text_fields_refuse_bad_characters(bad):
    assert _clean(LineField(max_length=20), f"王{bad}") == (False, None)
    assert _clean(TextField(max_length=20), f"王{bad}") == (False, None)
    assert _clean(SafePasswordField(), f"pw{bad}") == (False, None)


def test_form_text_fields_keep_good_text():
    assert _clean(LineField(max_length=5), " 王大 ") == (True, "王大")
    assert _clean(TextField(max_length=20), "一\r\n二\t") == (True, "一\r\n二")
    assert _clean(LineField(max_length=5), "一\n二")[0] is False
    assert _clean(SafePasswordField(), " pw ") == (True, " pw ")


def test_form_number_fields_are_bounded():
    assert _clean(IdField(), str(MAX_ID)) == (True, MAX_ID)
    assert _clean(IdField(), str(MAX_ID + 1))[0] is False
    assert _clean(IdField(), "0")[0] is False
    assert _clean(IntField(min_value=1), str(MAX_INT + 1))[0] is False
    assert _clean(LatitudeField(), "28.1234567") == (True, Decimal("28.123457"))
    for bad in ("NaN", "Infinity", "-Infinity", "91", "1e400"):
        assert _clean(LatitudeField(), bad)[0] is False, bad
    assert _clean(LongitudeField(), "-180") == (True, Decimal("-180.000000"))


def test_form_day_field_keeps_to_its_window():
    assert _clean(DayField(), "2025-01-01") == (True, dt.date(2025, 1, 1))
    assert _clean(DayField(), "0001-01-01")[0] is False
    assert _clean(DayField(), "9999-12-31")[0] is False


# --- services: the last line, for the admin and the imports -------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["\x07", "\x00", "\ud800", "\n"])
def test_org_services_refuse_control_characters_in_names(county, bad):
    from linli.org import services
    from linli.org.models import Unit

    with pytest.raises(InvalidInput) as exc:
        services.unit_rename(actor=county.superuser, unit=county.group_a, name=f"一{bad}组")
    assert exc.value.code == "bad_characters"
    assert Unit.objects.get(pk=county.group_a.pk).name == county.group_a.name
