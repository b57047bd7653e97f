"""The forms of the activities pages (every field from `core.inputs`, or a choice)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import (
    DayField,
    DayInput,
    IdChoiceField,
    IdMultipleChoiceField,
    IntField,
    LineField,
    TextField,
)

from .models import LAST, ActivityKind, ActivityStatus, RuleKind

# Times offered, every quarter of an hour from 06:00 to 22:00 (a select works on any phone).
TIMES = [(f"{h:02d}:{m:02d}", f"{h:02d}:{m:02d}") for h in range(6, 23) for m in (0, 15, 30, 45)][
    :-3
]
WEEKDAYS = [
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]
MONTH_DAYS = [(str(n), str(n)) for n in range(1, 29)] + [(str(LAST), _("the last day"))]
NTHS = [
    ("1", _("first")),
    ("2", _("second")),
    ("3", _("third")),
    ("4", _("fourth")),
    (str(LAST), _("last")),
]


def _unit_label(u: Any) -> str:
    return f"{u.parent.name} / {u.name}" if u.parent_id else str(u.name)


class ActivityForm(forms.Form):
    unit = IdChoiceField(label=_("Held in"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    title = LineField(label=_("Title"), max_length=200)
    place = LineField(label=_("Place"), max_length=200)
    day = DayField(label=_("Date"), widget=DayInput())
    start = forms.ChoiceField(label=_("Starts at"), choices=TIMES, initial="09:00")
    end = forms.ChoiceField(
        label=_("Ends at"), choices=[("", "—"), *TIMES], required=False, initial=""
    )
    capacity = IntField(
        label=_("Capacity"),
        min_value=1,
        max_value=100_000,
        required=False,
        help_text=_("Leave empty for no limit."),
    )
    description = TextField(
        label=_("Description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    organisers = IdMultipleChoiceField(
        label=_("Organised by"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    guard_teams = IdMultipleChoiceField(
        label=_("Guard teams"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    appeals = IdMultipleChoiceField(
        label=_("Appeals it takes up"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    on_service_day = forms.ChoiceField(
        label=_("On a service day"),
        choices=[
            ("", _("Decide from the date")),
            ("1", _("Yes")),
            ("0", _("No")),
        ],
        required=False,
    )

    def __init__(
        self, *args: Any, units: Any, organisers: Any, teams: Any, appeals: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        unit_field: Any = self.fields["unit"]
        unit_field.queryset = units
        unit_field.label_from_instance = _unit_label
        org_field: Any = self.fields["organisers"]
        org_field.queryset = organisers
        org_field.label_from_instance = lambda r: f"{r.name}（{r.unit.name}）"
        team_field: Any = self.fields["guard_teams"]
        team_field.queryset = teams
        appeal_field: Any = self.fields["appeals"]
        appeal_field.queryset = appeals
        appeal_field.label_from_instance = lambda a: f"{a.code} {a.title or a.description[:30]}"

    def moments(self) -> tuple[dt.datetime, dt.datetime | None]:
        d = self.cleaned_data
        day = d["day"]

        def at(text: str) -> dt.datetime:
            t = dt.time.fromisoformat(text)
            return timezone.make_aware(dt.datetime.combine(day, t))

        return at(d["start"]), (at(d["end"]) if d.get("end") else None)

    def service_day(self) -> bool | None:
        value = self.cleaned_data.get("on_service_day")
        return None if value in (None, "") else value == "1"


class FilterForm(forms.Form):
    unit = IdChoiceField(label=_("Unit"), queryset=None, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All")), *ActivityKind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *ActivityStatus.choices], required=False
    )
    start = DayField(label=_("From"), required=False, widget=DayInput())
    end = DayField(label=_("To"), required=False, widget=DayInput())

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field: Any = self.fields["unit"]
        unit_field.queryset = units
        unit_field.label_from_instance = _unit_label


class CancelForm(forms.Form):
    reason = LineField(label=_("Reason for cancelling"), max_length=500)


class PhoneSignupForm(forms.Form):
    name = LineField(label=_("Your name"), max_length=50)
    phone = LineField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    code = LineField(
        label=_("Verification code"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class PhoneCancelForm(forms.Form):
    phone = LineField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    code = LineField(
        label=_("Verification code"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class AttendanceForm(forms.Form):
    attended = IdMultipleChoiceField(
        label=_("Who came"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    walk_ins = IntField(label=_("Walk-ins"), min_value=0, max_value=100_000, initial=0)

    def __init__(self, *args: Any, signups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["attended"]
        field.queryset = signups
        field.label_from_instance = lambda s: f"{s.name} {s.phone_masked}".strip()


class HeldForm(forms.Form):
    outcome = TextField(
        label=_("Outcome"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosForm(forms.Form):
    """Rendered only: the view hands `request.FILES.getlist("photos")` to the service,
    which checks each by content."""

    photos = forms.FileField(
        label=_("Photos"),
        widget=MultipleFileInput(attrs={"accept": "image/*"}),
    )


class RuleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Recurs"), choices=RuleKind.choices, widget=forms.RadioSelect)
    month_day = forms.ChoiceField(
        label=_("Day of the month"), choices=[("", "—"), *MONTH_DAYS], required=False
    )
    nth = forms.ChoiceField(label=_("Which one"), choices=[("", "—"), *NTHS], required=False)
    weekday = forms.ChoiceField(label=_("Weekday"), choices=[("", "—"), *WEEKDAYS], required=False)
    effective_from = DayField(label=_("Effective from"), widget=DayInput())
