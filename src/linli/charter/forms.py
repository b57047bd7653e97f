"""Forms of the charter pages: they parse and render; the services check the rules
(who writes, extend never weaken, drafts only)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import DayField, DayInput, IdChoiceField, IntField, LineField, TextField

from .models import DutyLink, EntryKind
from .services import FLOOR_MAX, ORDER_MAX


class DraftForm(forms.Form):
    unit = IdChoiceField(label=_("Unit"), queryset=None)
    title = LineField(label=_("Title"), max_length=200)
    effective_from = DayField(label=_("Effective from"), widget=DayInput())
    note = TextField(
        label=_("What changed"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda u: (
            f"{u.parent.name} / {u.name}" if u.parent_id else u.name
        )


class DraftEditForm(forms.Form):
    title = LineField(label=_("Title"), max_length=200)
    effective_from = DayField(label=_("Effective from"), widget=DayInput())
    note = TextField(
        label=_("What changed"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


DUTY_CHOICES = [("", _("Not measured by a duty")), *DutyLink.choices]


class EntryForm(forms.Form):
    code = LineField(
        label=_("Entry code"),
        max_length=40,
        help_text=_(
            "Lower-case letters, digits, '-' and '_'. The code of an entry of the lists "
            "above extends that entry."
        ),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=EntryKind.choices)
    title = LineField(label=_("Title"), max_length=200, required=False)
    text = TextField(
        label=_("Text"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    floor = IntField(
        label=_("At least"),
        min_value=0,
        max_value=FLOOR_MAX,
        required=False,
        help_text=_("A number the level may raise but a lower level never lowers."),
    )
    floor_unit = LineField(label=_("Unit of the floor"), max_length=20, required=False)
    duty = forms.ChoiceField(label=_("Duty measured"), choices=DUTY_CHOICES, required=False)
    order = IntField(label=_("Order"), min_value=0, max_value=ORDER_MAX, required=False)

    def data_for_service(self) -> dict:
        d = dict(self.cleaned_data)
        d["order"] = d.get("order") or 0
        d["duty"] = d.get("duty") or ""
        return d
