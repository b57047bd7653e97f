from django import forms
from django.utils.translation import gettext_lazy as _

from .models import HouseholdTag


class HouseholdFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Name, pinyin initials or address")}),
    )
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    tag = forms.ChoiceField(
        label=_("Tag"), required=False, choices=[("", _("All"))] + list(HouseholdTag.choices)
    )
    covered = forms.ChoiceField(
        label=_("Representative"),
        required=False,
        choices=[
            ("", _("All")),
            ("yes", _("Has a representative")),
            ("no", _("No representative")),
        ],
    )


class LinkForm(forms.Form):
    representative = forms.ModelChoiceField(
        label=_("Representative"), queryset=None, empty_label=None
    )
    on_date = forms.DateField(
        label=_("From date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=200,
        help_text=_(
            "Required when a representative would serve fewer than 5 or more than 15 households."
        ),
    )

    def __init__(self, *args, representatives=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["representative"].queryset = representatives
