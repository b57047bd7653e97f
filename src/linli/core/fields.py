"""Form fields that choose rows by id and refuse what no id can be.

Django's model choice fields hand any submitted value to the database; an integer
beyond the database's range (`9999999999999999999`) raises `OverflowError` on SQLite
and a data error on PostgreSQL, a 500 instead of the form's "not one of the
choices". These check the value is a decimal id in range first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

# The largest value of a 64-bit signed primary key (PostgreSQL bigint, SQLite INTEGER).
MAX_ID = 2**63 - 1

if TYPE_CHECKING:
    _Single = forms.ModelChoiceField[Any]
    _Multiple = forms.ModelMultipleChoiceField[Any]
else:
    _Single = forms.ModelChoiceField
    _Multiple = forms.ModelMultipleChoiceField


def is_id(value: Any) -> bool:
    """Is `value` (as submitted) a decimal row id the database can hold?"""
    text = str(value).strip()
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


class IdChoiceField(_Single):
    """`ModelChoiceField` that refuses a value no row id can be, before any query."""

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
