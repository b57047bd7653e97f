"""Forms of the duty pages: they parse and render; the services check the rules
(household served that day, late-entry window, who may write)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from linli.appeals.forms import category_choices
from linli.core.documents import ACCEPT, document_check
from linli.core.errors import InvalidInput
from linli.core.inputs import (
    DayField,
    DayInput,
    IdChoiceField,
    IdField,
    IdMultipleChoiceField,
    IntField,
    LatitudeField,
    LineField,
    LongitudeField,
    TextField,
)
from linli.core.timeutil import today

from .models import ContactMethod, FiveRole, ReportKind


class UpToTodayInput(DayInput):
    """The date picker, offering no day after today (records are of what was done)."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("max", today().isoformat())
        return context


def _day_field() -> DayField:
    return DayField(label=_("Date"), widget=UpToTodayInput(), initial=today)


class QuickContactForm(forms.Form):
    """The one-tap "contacted" button of a household row."""

    household = IdField()
    method = forms.ChoiceField(
        label=_("How"), choices=ContactMethod.choices, initial=ContactMethod.PHONE, required=False
    )
    role = forms.ChoiceField(
        label=_("Role served"), choices=FiveRole.choices, initial=FiveRole.LIAISON, required=False
    )
    note = LineField(label=_("Note"), max_length=500, required=False)
    # Set by the page's script (duties-offline.js): the tap's key, so that a tap
    # queued offline and sent again is recorded once, and the phone's date of the tap.
    client_key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    day = DayField(label=_("Date"), required=False, widget=forms.HiddenInput)

    def clean_method(self):
        return self.cleaned_data.get("method") or ContactMethod.PHONE

    def clean_role(self):
        return self.cleaned_data.get("role") or FiveRole.LIAISON


class ContactForm(forms.Form):
    """A contact with a date: a late entry, or the correction of an earlier one."""

    household = IdChoiceField(label=_("Household"), queryset=None)
    day = _day_field()
    method = forms.ChoiceField(
        label=_("How"),
        choices=ContactMethod.choices,
        initial=ContactMethod.PHONE,
        widget=forms.RadioSelect,
    )
    role = forms.ChoiceField(label=_("Role served"), choices=FiveRole.choices)
    note = LineField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households
        self.fields["household"].label_from_instance = lambda h: f"{h.head_name} · {h.address}"
        self.fields["role"].initial = FiveRole.LIAISON


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos from one input (or from several inputs of the same name). The
    service checks each by content; here only the list is collected."""

    def __init__(self, *args, **kwargs):
        attrs = {"accept": "image/*", "multiple": True}
        kwargs.setdefault("widget", MultiplePhotoInput(attrs=attrs))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(PhotosField, self).clean(f, initial) for f in files if f]


class VisitForm(forms.Form):
    day = _day_field()
    role = forms.ChoiceField(label=_("Role served"), choices=FiveRole.choices)
    met = LineField(label=_("Who was met"), max_length=200, required=False)
    findings = TextField(
        label=_("What was found"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    needs = LineField(label=_("Needs"), max_length=500, required=False)
    risks = LineField(label=_("Risks"), max_length=500, required=False)
    note = LineField(label=_("Note"), max_length=500, required=False)
    photos = PhotosField(label=_("Photos"))
    latitude = LatitudeField(required=False)
    longitude = LongitudeField(required=False)
    raise_appeal = forms.BooleanField(label=_("Raise an appeal from this visit"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    appeal_description = TextField(
        label=_("Describe the problem"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["role"].initial = FiveRole.LIAISON
        self.fields["photos"].help_text = _("Up to %(n)d photos, optional.") % {
            "n": settings.LINLI["PHOTO_MAX_COUNT"]
        }

    def clean(self):
        data = super().clean()
        if data.get("raise_appeal"):
            if not data.get("category"):
                self.add_error("category", _("Choose a category for the appeal."))
            if not (data.get("appeal_description") or "").strip():
                self.add_error("appeal_description", _("Describe the problem for the appeal."))
        return data

    def appeal(self) -> dict | None:
        d = self.cleaned_data
        if not d.get("raise_appeal"):
            return None
        return {"category": d["category"], "description": d["appeal_description"]}


class DeliberationForm(forms.Form):
    unit = IdChoiceField(label=_("Held in"), queryset=None)
    organisers = IdMultipleChoiceField(
        label=_("Organised by"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    day = _day_field()
    place = LineField(label=_("Place"), max_length=200)
    topic = LineField(label=_("Topic"), max_length=200)
    attendee_count = IntField(label=_("Number of attendees"), min_value=1)
    attendees = TextField(
        label=_("Who attended"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    minutes = TextField(
        label=_("Minutes"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    outcomes = TextField(
        label=_("Outcomes"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, units, representatives, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda u: (
            f"{u.parent.name} / {u.name}" if u.parent_id else u.name
        )
        self.fields["organisers"].queryset = representatives
        self.fields["organisers"].label_from_instance = lambda r: f"{r.name}（{r.unit.name}）"


class ReportForm(forms.Form):
    representative = IdChoiceField(label=_("Representative"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=ReportKind.choices, widget=forms.RadioSelect)
    day = _day_field()
    audience = LineField(label=_("Audience"), max_length=200, required=False)
    text = TextField(
        label=_("Report"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    document = forms.FileField(
        label=_("Or attach the document"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=_("PDF, Word, text or a photo; at most 20 MB."),
    )
    feedback = TextField(
        label=_("Feedback from the audience"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, representatives, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["representative"]
        field.queryset = representatives
        field.label_from_instance = lambda r: f"{r.name}（{r.unit.name}）"
        choices = list(representatives[:2])
        if len(choices) == 1:
            # A representative reports for themself: nothing to choose.
            field.widget = forms.HiddenInput()
            field.initial = choices[0].pk

    def clean_document(self):
        """The service's own check (by content), shown beside the field."""
        doc = self.cleaned_data.get("document")
        if not doc:
            return doc
        try:
            return document_check(doc)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None
