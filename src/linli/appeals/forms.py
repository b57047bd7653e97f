"""Forms of the appeal pages: they parse and render; services validate the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import (
    IdChoiceField,
    IdField,
    LatitudeField,
    LineField,
    LongitudeField,
    TextField,
)

from .models import Kind, Level, Status, Urgency
from .selectors import categories_tree


def category_choices():
    return [("", _("Choose…"))] + [
        (top.name, [(c.code, c.name) for c in children]) for top, children in categories_tree()
    ]


class AppealFilterForm(forms.Form):
    q = LineField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("open", _("Open"))] + list(Status.choices),
    )
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("All"))] + list(Level.choices)
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All"))] + list(Kind.choices)
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    unit = IdField(required=False)


class AppealFileForm(forms.Form):
    """What a representative or hotline operator fills in for a resident."""

    category = forms.ChoiceField(label=_("Category"))
    title = LineField(label=_("Title"), max_length=100, required=False)
    description = TextField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial="normal")
    household = IdChoiceField(label=_("Household"), queryset=None, required=False)
    unit = IdChoiceField(label=_("Or the group / village"), queryset=None, required=False)
    address = LineField(label=_("Address"), max_length=200, required=False)
    latitude = LatitudeField(required=False)
    longitude = LongitudeField(required=False)
    reporter_name = LineField(label=_("Resident's name"), max_length=50, required=False)
    reporter_phone = LineField(label=_("Resident's mobile"), max_length=20, required=False)

    def __init__(self, *args, households, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["household"].queryset = households
        self.fields["household"].label_from_instance = lambda h: f"{h.head_name} · {h.address}"
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda u: (
            f"{u.parent.name} / {u.name}" if u.parent_id else u.name
        )


class PublicReportForm(forms.Form):
    """The resident's own report, without an account."""

    phone = LineField(label=_("Your mobile number"), max_length=20)
    code = LineField(label=_("Verification code"), max_length=6, required=False)
    category = forms.ChoiceField(label=_("What is it about?"))
    description = TextField(
        label=_("Describe the problem"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial="normal")
    town = IdField(label=_("Town"), required=False, widget=forms.NumberInput)
    village = IdField(label=_("Village / community"), required=False, widget=forms.NumberInput)
    area = IdField(label=_("Area"), required=False, widget=forms.NumberInput)
    group = IdField(label=_("Group"), required=False, widget=forms.NumberInput)
    address = LineField(label=_("Where exactly?"), max_length=200, required=False)
    # The photo input is written by hand (several files); the field carries its errors.
    photos = forms.FileField(label=_("Photos (up to 6)"), required=False)
    latitude = LatitudeField(required=False)
    longitude = LongitudeField(required=False)
    reporter_name = LineField(label=_("Your name (optional)"), max_length=50, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()

    # Which field a refusal from the services belongs beside (by its error code).
    ERROR_FIELDS = {
        "mobile_invalid": "phone",
        "mobile_not_mobile": "phone",
        "phone_required": "phone",
        "code_too_soon": "phone",
        "code_too_many": "phone",
        "code_wrong": "code",
        "code_expired": "code",
        "code_locked": "code",
        "category": "category",
        "urgency": "urgency",
        "required": "description",
        "too_long": "description",
        "location_required": "village",
        "coordinate": "address",
        "photo_count": "photos",
        "photo_too_large": "photos",
        "photo_not_image": "photos",
    }

    def add_domain_error(self, code: str, message: str) -> None:
        self.add_error(self.ERROR_FIELDS.get(code), message)


class TrackForm(forms.Form):
    code = LineField(label=_("Case code"), max_length=20)
    phone = LineField(label=_("Mobile number used to report"), max_length=20)
