from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import (
    DayField,
    IdChoiceField,
    IdField,
    IdMultipleChoiceField,
    LatitudeField,
    LineField,
    LongitudeField,
)

from .models import (
    GuardTeam,
    HouseholdTag,
    Member,
    MemberKind,
    PlaceKind,
    Relation,
    Representative,
    Sex,
    Unit,
)


class HouseholdFilterForm(forms.Form):
    q = LineField(
        label=_("Search"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Name, pinyin initials or address")}),
    )
    unit = IdField(required=False)
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
    representative = IdChoiceField(label=_("Representative"), queryset=None, empty_label=None)
    on_date = DayField(label=_("From date"), required=False)
    reason = LineField(
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


class HouseholdForm(forms.Form):
    unit = IdChoiceField(label=_("Unit"), queryset=None)
    head_name = LineField(label=_("Head of household"), max_length=50)
    address = LineField(label=_("Address"), max_length=200)
    tags = forms.MultipleChoiceField(
        label=_("Tags"),
        required=False,
        choices=HouseholdTag.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    latitude = LatitudeField(label=_("Latitude"), required=False, widget=forms.NumberInput)
    longitude = LongitudeField(label=_("Longitude"), required=False, widget=forms.NumberInput)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Group names repeat across villages ("一组"), so show the parent too.
        self.fields["unit"].queryset = (
            units.select_related("parent") if units is not None else units
        )
        self.fields["unit"].label_from_instance = lambda u: (
            f"{u.parent.name} / {u.name}" if u.parent else u.name
        )


class MemberForm(forms.Form):
    name = LineField(label=_("Name"), max_length=50)
    relation = forms.ChoiceField(label=_("Relation"), choices=Relation.choices)
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=[("", "—"), *Sex.choices])
    id_number = LineField(label=_("ID card number"), required=False, max_length=20)
    phone = LineField(label=_("Mobile number"), required=False, max_length=20)


# --- building the tree from the pages (unit page forms) ---------------------------------


def _date_field(label, required=False):
    return DayField(label=label, required=required)


class UnitChildForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"))
    name = LineField(label=_("Name"), max_length=100)
    code = LineField(
        label=_("Division code"),
        required=False,
        max_length=12,
        help_text=_("Optional: 6, 9 or 12 digits."),
    )

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(kinds)


class UnitRenameForm(forms.Form):
    name = LineField(label=_("Name"), max_length=100)


class PlaceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PlaceKind.choices)
    name = LineField(label=_("Name"), max_length=100)
    address = LineField(label=_("Address"), required=False, max_length=200)
    representative: forms.ModelChoiceField[Representative] = IdChoiceField(
        label=_("Serving representative"), queryset=None, required=False
    )

    def __init__(self, *args, representatives=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["representative"].queryset = representatives


class TeamForm(forms.Form):
    name = LineField(label=_("Name"), max_length=100)
    representatives: forms.ModelMultipleChoiceField[Representative] = IdMultipleChoiceField(
        label=_("Representatives"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, representatives=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["representatives"].queryset = representatives


class TeamMemberForm(forms.Form):
    team: forms.ModelChoiceField[GuardTeam] = IdChoiceField(
        label=_("Guard team"), queryset=None, empty_label=None
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=MemberKind.choices)
    name = LineField(label=_("Name"), max_length=50)
    phone = LineField(label=_("Mobile number"), required=False, max_length=20)

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class AppointForm(forms.Form):
    member: forms.ModelChoiceField[Member] = IdChoiceField(
        label=_("Person appointed"), queryset=None
    )
    unit: forms.ModelChoiceField[Unit] = IdChoiceField(
        label=_("Serves"), queryset=None, empty_label=None
    )
    term_start = _date_field(_("Term start"))

    def __init__(self, *args, members=None, shown=None, units=None, **kwargs):
        """`members`: whom the form accepts; `shown`: the (fewer) options it lists."""
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        field.queryset = members

        def label(m: Member) -> str:
            # Names repeat ("张伟"), so show the household's address too.
            return f"{m.name}（{m.household.address}）"

        field.label_from_instance = label
        if shown is not None:
            listed = IdChoiceField(queryset=shown)
            listed.label_from_instance = label
            field.widget.choices = listed.choices
        self.fields["unit"].queryset = units


class EndTermForm(forms.Form):
    term_end = _date_field(_("Last day"))
    reason = LineField(label=_("Reason"), max_length=200)


class AppointWithAccountForm(AppointForm):
    """The appointment form with the mobile the representative's account logs in with."""

    phone = LineField(
        label=_("Mobile number"),
        required=False,
        max_length=20,
        help_text=_(
            "The representative logs in with a code sent by SMS to this number. "
            "Leave empty to use the number registered for the resident."
        ),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )


class RepresentativePhoneForm(forms.Form):
    phone = LineField(
        label=_("Mobile number"),
        max_length=20,
        help_text=_("The representative's login account follows the new number."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
