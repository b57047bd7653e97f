"""Forms of the notice pages: they parse and render; the services check the rules
(who may publish where, the household's representative, a withdrawn notice)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import IdChoiceField, IdField, IntField, LineField, TextField
from linli.duties.models import ContactMethod

from .models import NoticeKind
from .services import MAX_BULK, MAX_REMIND_HOURS


class NoticeForm(forms.Form):
    unit = IdChoiceField(label=_("Publish to"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=NoticeKind.choices)
    title = LineField(label=_("Title"), max_length=200)
    body = TextField(label=_("Text"), max_length=5000, required=False, widget=forms.Textarea)
    urgent = forms.BooleanField(label=_("Urgent"), required=False)
    remind_after = IntField(
        label=_("Remind the representatives not done after (hours)"),
        min_value=1,
        max_value=MAX_REMIND_HOURS,
        required=False,
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class DeliveryForm(forms.Form):
    """One tap: this household was reached, this way."""

    household = IdField()
    method = forms.ChoiceField(choices=ContactMethod.choices)


class BulkDeliveryForm(forms.Form):
    """Several households at once (the WeChat group): online by default."""

    households = forms.TypedMultipleChoiceField(coerce=int, choices=())
    method = forms.ChoiceField(choices=ContactMethod.choices, required=False)

    def __init__(self, *args, household_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["households"].choices = [(pk, pk) for pk in list(household_ids)[:MAX_BULK]]

    def clean_method(self):
        return self.cleaned_data.get("method") or ContactMethod.ONLINE


class WithdrawForm(forms.Form):
    reason = TextField(label=_("Reason"), max_length=500)
