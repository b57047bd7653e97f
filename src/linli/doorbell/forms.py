"""The love doorbell's forms (through core.inputs)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import (
    DayField,
    IdChoiceField,
    IntField,
    LatitudeField,
    LineField,
    LongitudeField,
    TextField,
)

from .models import AlarmOutcome, AlarmStatus, BackupKind, CareKind, CareLevel
from .protocol import DEVICE_ID_RE

# --- care register and pairing ------------------------------------------------------------

CONTACT_ROWS = 5
BACKUP_ROWS = 5


def _unit_label(u: Any) -> str:
    return f"{u.parent.name} / {u.name}" if u.parent_id else str(u.name)


def _member_label(m: Any) -> str:
    return f"{m.name} · {m.household.unit.name} · {m.household.address}"


class CareFilterForm(forms.Form):
    unit = IdChoiceField(label=_("Unit"), queryset=None, required=False)
    kind = forms.ChoiceField(
        label=_("Kind of need"), choices=[("", _("All")), *CareKind.choices], required=False
    )
    level = forms.ChoiceField(
        label=_("Care level"), choices=[("", _("All")), *CareLevel.choices], required=False
    )
    overdue = forms.ChoiceField(
        label=_("Visits"),
        choices=[("", _("All")), ("1", _("Overdue visit"))],
        required=False,
    )
    ended = forms.ChoiceField(
        label=_("In care"),
        choices=[("", _("In care")), ("1", _("Left care"))],
        required=False,
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["unit"]
        field.queryset = units.select_related("parent")
        field.label_from_instance = _unit_label


class CareRegisterForm(forms.Form):
    member = IdChoiceField(label=_("Resident"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind of need"), choices=CareKind.choices)
    level = forms.ChoiceField(label=_("Care level"), choices=CareLevel.choices)
    health_notes = TextField(
        label=_("Health notes"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only the carers and the village cadre will see them."),
    )
    confirm_alone = forms.BooleanField(
        label=_("Confirm living alone"),
        required=False,
        help_text=_(
            "For an elderly person living alone whose household lists members who live elsewhere."
        ),
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["member"]
        field.queryset = members
        field.label_from_instance = _member_label


class CareEditForm(forms.Form):
    version = IntField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Kind of need"), choices=CareKind.choices)
    level = forms.ChoiceField(label=_("Care level"), choices=CareLevel.choices)
    health_notes = TextField(
        label=_("Health notes"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm_alone = forms.BooleanField(
        label=_("Confirm living alone"),
        required=False,
        help_text=_(
            "When changing to elderly living alone for a resident whose household lists "
            "members who live elsewhere."
        ),
    )

    def __init__(self, *args: Any, health: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not health:
            del self.fields["health_notes"]


class CareEndForm(forms.Form):
    reason = LineField(label=_("Reason for leaving care"), max_length=200)


class ContactsForm(forms.Form):
    """Up to CONTACT_ROWS emergency contacts, in order; a row left empty is dropped."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, CONTACT_ROWS + 1):
            self.fields[f"name_{n}"] = LineField(
                label=_("Person's name"), max_length=50, required=False
            )
            self.fields[f"relation_{n}"] = LineField(
                label=_("Relation"), max_length=50, required=False
            )
            self.fields[f"phone_{n}"] = LineField(
                label=_("Mobile number"),
                max_length=20,
                required=False,
                help_text=_("Leave empty to keep the number already stored for this contact."),
                widget=forms.TextInput(attrs={"inputmode": "tel"}),
            )

    def rows(self) -> list[list[Any]]:
        return [
            [self[f"name_{n}"], self[f"relation_{n}"], self[f"phone_{n}"]]
            for n in range(1, CONTACT_ROWS + 1)
        ]

    def contacts(self) -> list[tuple[str, str, str]]:
        d = self.cleaned_data
        out = []
        for n in range(1, CONTACT_ROWS + 1):
            name, relation, phone = d[f"name_{n}"], d[f"relation_{n}"], d[f"phone_{n}"]
            if name or relation or phone:
                out.append((name, relation, phone))
        return out


class PairForm(forms.Form):
    primary = IdChoiceField(label=_("Primary representative"), queryset=None)
    visit_every_days = IntField(
        label=_("Visit every (days)"),
        min_value=1,
        max_value=90,
        initial=7,
        help_text=_("The primary visits the home at least this often (1 to 90 days)."),
    )

    def __init__(self, *args: Any, primaries: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["primary"]
        field.queryset = primaries
        field.label_from_instance = lambda r: f"{r.name} · {r.unit.name}"
        kinds = [("", "—"), *BackupKind.choices]
        for n in range(1, BACKUP_ROWS + 1):
            self.fields[f"kind_{n}"] = forms.ChoiceField(
                label=_("Who"), choices=kinds, required=False
            )
            user_field: Any = IdChoiceField(label=_("Account"), queryset=users, required=False)
            user_field.label_from_instance = lambda u: str(u.name)
            self.fields[f"user_{n}"] = user_field
            self.fields[f"name_{n}"] = LineField(
                label=_("Person's name"), max_length=50, required=False
            )
            self.fields[f"phone_{n}"] = LineField(
                label=_("Mobile number"),
                max_length=20,
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "tel"}),
            )

    def rows(self) -> list[list[Any]]:
        return [
            [self[f"kind_{n}"], self[f"user_{n}"], self[f"name_{n}"], self[f"phone_{n}"]]
            for n in range(1, BACKUP_ROWS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        for n in range(1, BACKUP_ROWS + 1):
            kind, user = d.get(f"kind_{n}"), d.get(f"user_{n}")
            name, phone = d.get(f"name_{n}"), d.get(f"phone_{n}")
            if (user or name or phone) and not kind:
                self.add_error(f"kind_{n}", _("Say who the backup is."))
            elif kind and not user and not (name and phone):
                self.add_error(
                    f"name_{n}", _("Choose an account, or give a name and a mobile number.")
                )
        return d

    def backups(self) -> list[tuple[str, Any, str, str]]:
        d = self.cleaned_data
        out = []
        for n in range(1, BACKUP_ROWS + 1):
            if d.get(f"kind_{n}"):
                out.append((d[f"kind_{n}"], d.get(f"user_{n}"), d[f"name_{n}"], d[f"phone_{n}"]))
        return out


class PairEndForm(forms.Form):
    reason = LineField(label=_("Reason"), max_length=200, required=False)


class SettingsForm(forms.Form):
    ack_minutes = IntField(
        label=_("Minutes to acknowledge before the next person is told"),
        min_value=1,
        max_value=60,
    )
    arrive_minutes = IntField(
        label=_("Minutes to arrive after 'on my way' before the next person is told"),
        min_value=5,
        max_value=240,
    )
    offline_minutes = IntField(
        label=_("Minutes without a heartbeat before a doorbell is offline"),
        min_value=10,
        max_value=10080,
    )
    battery_low = IntField(
        label=_("Battery level (%) that needs a change"), min_value=5, max_value=90
    )
    duty_cadre = IdChoiceField(label=_("Cadre on duty"), queryset=None, required=False)

    def __init__(self, *args: Any, cadres: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["duty_cadre"]
        field.queryset = cadres
        field.label_from_instance = lambda u: str(u.name)
        field.help_text = _(
            "Told last when nobody answers; none: every cadre holding the village role."
        )


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
    move = forms.BooleanField(
        label=_("Confirm moving the doorbell from its current household"), required=False
    )

    def __init__(self, *args, households=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households
        self.fields["household"].label_from_instance = lambda h: (
            f"{h.unit.name} · {h.address} · {h.head_name}"
        )


class RetireForm(forms.Form):
    reason = LineField(label=_("Reason"), max_length=200, required=False)


class SeqResetForm(forms.Form):
    """The audited sequence reset (`services.device_seq_reset`)."""

    to = IntField(
        label=_("New highest sequence number"),
        min_value=0,
        max_value=2**53,
        initial=0,
        help_text=_("What the doorbell counts from now: 0 after a firmware reset."),
    )
    reason = LineField(label=_("Reason"), max_length=200, required=True)
    confirm = forms.BooleanField(
        label=_("I confirm: the doorbell's earlier numbers will be accepted again."),
        required=True,
    )


class TaskResolveForm(forms.Form):
    note = TextField(
        label=_("What was done"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


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
