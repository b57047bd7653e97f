"""Every door for input uses the input layer (`core.inputs`), so a new app inherits it.

- Every parameter and request schema of the API (bodies, query strings, paths, form
  fields of multipart operations), walked down to its leaves: a `str` carries the text
  rule and a maximum length, an `int` an upper bound, a `float` is finite and bounded,
  a date or datetime keeps to a window of years. Enums, literals, booleans and UUIDs
  check themselves.
- Every Django form class of linli (and the fields a `ModelForm` declares): no plain
  `CharField`, `IntegerField`, `DecimalField`, `FloatField` or `DateField`; the
  `core.inputs` fields instead (`LineField`, `TextField`, `IdField`, `IntField`,
  `DayField`, `LatitudeField`/`LongitudeField`, `IdChoiceField`).
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
import types
import uuid
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from django import forms
from ninja import Schema
from pydantic import AllowInfNan, BaseModel

import linli
from linli.core.inputs import SAFE_FIELDS, DateWindow, Day, Id, Line, TextRule

# --- the API ------------------------------------------------------------------------------


def _operations():
    from linli.api import api

    for bound in api._get_bound_routers():
        for path, view in bound.path_operations.items():
            for operation in view.operations:
                yield f"{'/'.join(operation.methods)} {bound.prefix}{path}", operation


def _expand(metadata) -> list:
    out = []
    for m in metadata:
        if isinstance(m, annotated_types.GroupedMetadata):
            out.extend(_expand(list(m)))
        else:
            out.append(m)
    return out


def _has_upper(meta) -> bool:
    for m in meta:
        if isinstance(m, annotated_types.Interval) and (m.le is not None or m.lt is not None):
            return True
        if isinstance(m, annotated_types.Le | annotated_types.Lt):
            return True
    return False


def _has_max_length(meta) -> bool:
    return any(
        isinstance(m, annotated_types.MaxLen)
        or (isinstance(m, annotated_types.Len) and m.max_length is not None)
        or getattr(m, "max_length", None) is not None
        for m in meta
    )


def _validators(meta) -> list:
    return [getattr(m, "func", None) for m in meta]


def _problems(tp: Any, meta: list, where: str, seen: set) -> list[str]:
    origin = get_origin(tp)
    if origin is Annotated:
        base, *more = get_args(tp)
        return _problems(base, meta + _expand(more), where, seen)
    if origin in (Union, types.UnionType):
        out = []
        for arg in get_args(tp):
            if arg is not type(None):
                out += _problems(arg, meta, where, seen)
        return out
    if origin is Literal:
        return []
    if origin in (list, set, tuple, frozenset):
        out = []
        for arg in get_args(tp):
            if arg is not Ellipsis:
                out += _problems(arg, [], f"{where}[]", seen)
        return out
    if origin is dict:
        return _problems(get_args(tp)[1], [], f"{where}{{}}", seen)
    if not isinstance(tp, type):
        return [f"{where}: an unchecked type {tp!r}"]
    if issubclass(tp, BaseModel):
        if tp in seen:
            return []
        seen.add(tp)
        out = []
        for name, field in tp.model_fields.items():
            out += _problems(field.annotation, _expand(field.metadata), f"{where}.{name}", seen)
        return out
    if issubclass(tp, Enum | bool | uuid.UUID):
        return []
    if tp is str:
        checked = any(isinstance(v, TextRule) for v in _validators(meta))
        if not (checked and _has_max_length(meta)):
            return [f"{where}: str without Line(n)/Text(n)"]
        return []
    if tp is int:
        return [] if _has_upper(meta) else [f"{where}: int without a bound (Id, Count, ...)"]
    if tp is float:
        finite = any(isinstance(m, AllowInfNan) and not m.allow_inf_nan for m in meta)
        if not (finite and _has_upper(meta)):
            return [f"{where}: float without Latitude/Longitude (finite, bounded)"]
        return []
    if issubclass(tp, dt.date):  # dates and datetimes
        if not any(isinstance(v, DateWindow) for v in _validators(meta)):
            return [f"{where}: date without a window (Day, BirthDate, Moment)"]
        return []
    if tp.__name__ == "UploadedFile":
        return []
    return [f"{where}: an unchecked type {tp.__name__}"]


def test_every_api_input_goes_through_the_input_layer():
    problems: list[str] = []
    count = 0
    for name, operation in _operations():
        for model in operation.models:
            count += 1
            problems += _problems(model, [], f"{name} {model.__name__}", set())
    assert count > 40  # the walk reached the operations
    assert not problems, "\n".join(problems)


def test_the_walk_finds_what_is_missing():
    class Bad(Schema):
        a: str
        b: int | None = None
        c: list[float]
        d: dt.date
        e: Annotated[str, Line(5)] | None = None
        f: Id
        g: list[Day]

    found = _problems(Bad, [], "Bad", set())
    assert [p.split(":")[0] for p in found] == ["Bad.a", "Bad.b", "Bad.c[]", "Bad.d"]


# --- forms --------------------------------------------------------------------------------

ALLOWED = (
    *SAFE_FIELDS,
    forms.ChoiceField,  # values must be one of the choices (MultipleChoiceField too)
    forms.BooleanField,
    forms.FileField,
    forms.UUIDField,
)


def _linli_forms() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(linli.__path__, "linli."):
        if ".migrations" in module.name or module.name.endswith(("__main__", "tests")):
            continue
        importlib.import_module(module.name)
    found, stack = [], [forms.BaseForm]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("linli."):
            found.append(cls)
    return found


def _form_problems(cls: type[forms.BaseForm]) -> list[str]:
    fields = (
        cls.declared_fields if issubclass(cls, forms.ModelForm) else cls.base_fields  # type: ignore[attr-defined]
    )
    return [
        f"{cls.__module__}.{cls.__name__}.{name}: {type(field).__name__}"
        for name, field in fields.items()
        if not isinstance(field, ALLOWED) or type(field) is forms.ModelChoiceField
    ]


def test_every_form_uses_the_input_layer_fields():
    classes = _linli_forms()
    assert len(classes) > 15  # the walk reached the forms
    problems = [p for cls in classes for p in _form_problems(cls)]
    assert not problems, "\n".join(problems)


def test_the_form_walk_finds_what_is_missing():
    class Bad(forms.Form):
        a = forms.CharField(max_length=5)
        b = forms.IntegerField()
        c = forms.DecimalField()
        d = forms.DateField()
        e = forms.ChoiceField(choices=[("x", "x")])

    assert [p.rsplit(".", 1)[1].split(":")[0] for p in _form_problems(Bad)] == [
        "a",
        "b",
        "c",
        "d",
    ]
