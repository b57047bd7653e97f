"""The forms of the training pages (every field from `core.inputs`, or a choice)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import (
    DayField,
    DayInput,
    IdChoiceField,
    IdMultipleChoiceField,
    IntField,
    LineField,
)

from .models import MAX_CAPACITY, MAX_MINUTES, AttendanceStatus


def _unit_label(u: Any) -> str:
    return f"{u.parent.name} / {u.name}" if u.parent_id else str(u.name)


class PlanForm(forms.Form):
    unit = IdChoiceField(label=_("Organiser"), queryset=None)
    year = IntField(label=_("Year"), min_value=2000, max_value=2100)
    title = LineField(label=_("Title"), max_length=200)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit: Any = self.fields["unit"]
        unit.queryset = units
        unit.label_from_instance = _unit_label


class PlanFilterForm(forms.Form):
    year = IntField(label=_("Year"), min_value=2000, max_value=2100, required=False)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: Any = None) -> None:
        super().__init__(attrs, format="%H:%M")


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$")


class ClockField(LineField):
    """A time of day typed or picked as HH:MM, cleaned to a `datetime.time`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", TimeInput())
        super().__init__(max_length=8, **kwargs)

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if text in self.empty_values:
            return None
        match = _CLOCK.match(text)
        if match is None:
            raise ValidationError(_("Enter a time such as 09:30."), code="time")
        return dt.time(int(match.group(1)), int(match.group(2)))


class SessionForm(forms.Form):
    title = LineField(label=_("Title"), max_length=200)
    topic = LineField(label=_("Topic"), max_length=500, required=False)
    held_on = DayField(label=_("Date"), widget=DayInput())
    starts_at = ClockField(label=_("Start time"), required=False)
    duration_minutes = IntField(
        label=_("Duration (minutes)"), min_value=1, max_value=MAX_MINUTES, initial=120
    )
    credit_minutes = IntField(
        label=_("Minutes credited"),
        min_value=1,
        max_value=MAX_MINUTES,
        required=False,
        help_text=_("Default: the duration."),
    )
    place = LineField(label=_("Place"), max_length=200)
    capacity = IntField(label=_("Capacity"), min_value=1, max_value=MAX_CAPACITY, initial=50)


class EnrolForm(forms.Form):
    representatives = IdMultipleChoiceField(
        label=_("Representatives"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, choices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["representatives"]
        field.queryset = choices
        field.label_from_instance = lambda r: f"{r.name}（{r.unit.name}）"


class CancelForm(forms.Form):
    reason = LineField(label=_("Reason for cancelling"), max_length=500)


class AttendanceForm(forms.Form):
    """One status and one minutes field per enrolled representative, and one reason
    for whatever is corrected."""

    reason = LineField(
        label=_("Reason for corrections"),
        max_length=500,
        required=False,
        help_text=_("Needed when changing attendance already recorded."),
    )

    def __init__(self, *args: Any, rows: list[Any], credit: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            pk = row.representative.pk
            a = row.attendance
            name = row.representative.name
            self.fields[f"status_{pk}"] = forms.ChoiceField(
                label=_("Attendance"),
                choices=AttendanceStatus.choices,
                initial=a.status if a else AttendanceStatus.PRESENT,
                widget=forms.Select(
                    attrs={"aria-label": _("Attendance of %(name)s") % {"name": name}}
                ),
            )
            self.fields[f"minutes_{pk}"] = IntField(
                label=_("Minutes credited"),
                min_value=0,
                max_value=credit,
                required=False,
                initial=a.minutes if a else credit,
                widget=forms.NumberInput(
                    attrs={
                        "inputmode": "numeric",
                        "aria-label": _("Minutes credited to %(name)s") % {"name": name},
                    }
                ),
            )

    def lines(self) -> list[tuple[Any, Any, Any]]:
        return [
            (row, self[f"status_{row.representative.pk}"], self[f"minutes_{row.representative.pk}"])
            for row in self.rows
        ]

    def marks(self) -> list[tuple[int, str, int | None]]:
        d = self.cleaned_data
        out = []
        for row in self.rows:
            pk = row.representative.pk
            status = d[f"status_{pk}"]
            minutes = d.get(f"minutes_{pk}")
            if status != AttendanceStatus.PRESENT:
                minutes = 0
            out.append((pk, status, minutes))
        return out


class HoursFilterForm(forms.Form):
    unit = IdChoiceField(label=_("Unit"), queryset=None, required=False)
    year = IntField(label=_("Year"), min_value=2000, max_value=2100, required=False)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit: Any = self.fields["unit"]
        unit.queryset = units
        unit.label_from_instance = _unit_label
