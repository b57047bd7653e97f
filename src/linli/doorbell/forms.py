"""The love doorbell's forms (through core.inputs)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import (
    DayField,
    IdChoiceField,
    LatitudeField,
    LongitudeField,
    TextField,
)

from .models import AlarmOutcome, AlarmStatus

# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------


# --- alarms -------------------------------------------------------------------------------


class AlarmFilterForm(forms.Form):
    unit = IdChoiceField(label=_("Unit"), queryset=None, required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + list(AlarmStatus.choices)
    )
    outcome = forms.ChoiceField(
        label=_("Alarm outcome"),
        required=False,
        choices=[("", _("All"))] + list(AlarmOutcome.choices),
    )
    start = DayField(label=_("From"), required=False)
    end = DayField(label=_("To"), required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].empty_label = _("All")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end is before the start."))
        return data


class FiguresForm(forms.Form):
    unit = IdChoiceField(label=_("Unit"), queryset=None, required=False)
    start = DayField(label=_("From"), required=False)
    end = DayField(label=_("To"), required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].empty_label = _("All")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end is before the start."))
        return data


class ArriveForm(forms.Form):
    latitude = LatitudeField(required=False)
    longitude = LongitudeField(required=False)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What happened"), choices=AlarmOutcome.choices, widget=forms.RadioSelect
    )
    note = TextField(
        label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    raise_appeal = forms.BooleanField(
        label=_("Raise an appeal for the household with this note"), required=False
    )


class EmptyForm(forms.Form):
    pass
