"""The forms of the service fund pages (every field from `core.inputs`, or a choice).

Amounts are typed in yuan (`MoneyField`: "12", "12.5", "12.50") and parsed into integer
fen by exact decimal arithmetic; never through a float."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import DayField, DayInput, IdChoiceField, IntField, LineField

from .models import MAX_FEN, FundEntryKind, FundEntryStatus, yuan

_YUAN = re.compile(r"^(\d{1,12})(?:\.(\d{1,2}))?$")


def parse_yuan(text: str) -> int:
    """ "12.5" -> 1250 fen; refuses signs, more than two decimals, and what is not a number."""
    value = text.strip().replace(",", "").replace("，", "")
    if value.startswith("-"):
        raise ValidationError(_("The amount may not be negative."), code="negative")
    match = _YUAN.match(value)
    if match is None:
        if re.match(r"^\d+\.\d{3,}$", value):
            raise ValidationError(
                _("The amount takes at most two decimals (fen)."), code="decimals"
            )
        raise ValidationError(
            _("Enter the amount in yuan, such as 35 or 12.50."), code="not_a_number"
        )
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents or "0")


class MoneyField(LineField):
    """An amount in yuan typed as text, cleaned to integer fen (`min_fen`..`max_fen`)."""

    def __init__(self, *, min_fen: int = 1, max_fen: int = MAX_FEN, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(max_length=30, **kwargs)
        self.min_fen, self.max_fen = min_fen, max_fen

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if text in self.empty_values:
            return None
        fen = parse_yuan(text)
        if fen < self.min_fen:
            if self.min_fen == 1:
                raise ValidationError(_("The amount must be more than zero."), code="zero")
            raise ValidationError(
                _("The amount may not be less than %(min)s yuan.") % {"min": yuan(self.min_fen)},
                code="too_small",
            )
        if fen > self.max_fen:
            raise ValidationError(
                _("The amount may be at most %(max)s yuan.") % {"max": yuan(self.max_fen)},
                code="too_large",
            )
        return fen


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; the service checks each by content."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return single(data, initial)


class SpendForm(forms.Form):
    amount = MoneyField(label=_("Amount (yuan)"))
    day = DayField(label=_("Date"), widget=DayInput())
    purpose = LineField(label=_("Purpose"), max_length=500)
    household = IdChoiceField(label=_("Household served"), queryset=None, required=False)
    appeal = LineField(
        label=_("Appeal served (case code)"),
        max_length=20,
        required=False,
        help_text=_("Optional, such as A2026000123."),
    )
    activity = IdChoiceField(label=_("Activity served"), queryset=None, required=False)
    # Rendered only: the view hands `request.FILES.getlist("receipts")` to the service,
    # which checks each by content.
    receipts = MultipleFileField(label=_("Receipt photos"), required=False)

    def __init__(self, *args: Any, households: Any, activities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        household: Any = self.fields["household"]
        household.queryset = households
        household.label_from_instance = lambda h: f"{h.head_name}（{h.address}）"
        activity: Any = self.fields["activity"]
        activity.queryset = activities
        activity.label_from_instance = lambda a: f"{a.starts_at:%m-%d} {a.title}"


class DecideForm(forms.Form):
    note = LineField(label=_("Note"), max_length=500, required=False)


class ReverseForm(forms.Form):
    reason = LineField(label=_("Reason for the reversal"), max_length=500)


class RuleForm(forms.Form):
    year = IntField(label=_("Year"), min_value=2000, max_value=2100)
    allocation = MoneyField(label=_("Allocation per representative (yuan)"))
    approval = MoneyField(label=_("Approval needed above (yuan)"), min_fen=0)


class OpenForm(forms.Form):
    year = IntField(label=_("Year"), min_value=2000, max_value=2100)


class EntryFilterForm(forms.Form):
    year = IntField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    unit = IdChoiceField(label=_("Unit"), queryset=None, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *FundEntryStatus.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All")), *FundEntryKind.choices], required=False
    )
    start = DayField(label=_("From"), required=False, widget=DayInput())
    end = DayField(label=_("To"), required=False, widget=DayInput())

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit: Any = self.fields["unit"]
        unit.queryset = units
        unit.label_from_instance = lambda u: (
            f"{u.parent.name} / {u.name}" if u.parent_id else str(u.name)
        )
