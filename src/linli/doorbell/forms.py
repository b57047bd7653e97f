"""The love doorbell's forms (through core.inputs)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import IdChoiceField, LineField, TextField

from .protocol import DEVICE_ID_RE

# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------


class DeviceForm(forms.Form):
    device_id = LineField(
        label=_("Device id"),
        max_length=40,
        help_text=_("As printed on the doorbell: letters, digits, '.', '_' or '-'."),
    )
    unit = IdChoiceField(label=_("Village"), queryset=None)
    model_name = LineField(label=_("Model"), max_length=60, required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units

    def clean_device_id(self):
        value = self.cleaned_data["device_id"].strip()
        if not DEVICE_ID_RE.match(value):
            raise forms.ValidationError(
                _("A device id is 1 to 40 letters, digits, '.', '_' or '-', starting with one.")
            )
        return value


class BindForm(forms.Form):
    household = IdChoiceField(label=_("Household"), queryset=None)

    def __init__(self, *args, households=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households
        self.fields["household"].label_from_instance = lambda h: f"{h.unit.name} · {h.head_name}"


class RetireForm(forms.Form):
    reason = LineField(label=_("Reason"), max_length=200, required=False)


class TaskResolveForm(forms.Form):
    note = TextField(label=_("What was done"), max_length=500, required=False)


# --- alarms -------------------------------------------------------------------------------
