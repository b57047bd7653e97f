"""Forms of the deliberation pages: they parse and render; the services check the rules."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import (
    DayField,
    DayInput,
    IdChoiceField,
    IdField,
    IntField,
    LineField,
    TextField,
)
from linli.duties.forms import PhotosField

from .models import Stage

NUMBER = forms.NumberInput(attrs={"inputmode": "numeric"})


def _rows(n: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": n})


class ItemFilterForm(forms.Form):
    q = LineField(label=_("Search"), max_length=100, required=False)
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("All"))] + list(Stage.choices)
    )
    unit = IdChoiceField(label=_("Village"), queryset=None, required=False)
    # The agenda of one meeting (the link on the meeting's page).
    meeting = IdField(required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].empty_label = _("All")


class ProposeForm(forms.Form):
    unit = IdChoiceField(label=_("Village"), queryset=None)
    title = LineField(label=_("Title"), max_length=200)
    description = TextField(
        label=_("Description"), max_length=4000, required=False, widget=_rows(4)
    )
    matter = IdChoiceField(label=_("Catalogue matter"), queryset=None, required=False)

    def __init__(self, *args, units=None, matters=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["matter"].queryset = matters
        self.fields["matter"].label_from_instance = lambda m: m.title


class GroupProposeForm(forms.Form):
    """Propose one item from a group of appeals (their ids, one field each)."""

    title = LineField(label=_("Title"), max_length=200)
    description = TextField(
        label=_("Description"), max_length=4000, required=False, widget=_rows(3)
    )
    matter = IdChoiceField(label=_("Catalogue matter"), queryset=None, required=False)

    def __init__(self, *args, matters=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["matter"].queryset = matters
        self.fields["matter"].label_from_instance = lambda m: m.title


class ScheduleForm(forms.Form):
    meeting = IdChoiceField(label=_("Meeting"), queryset=None)
    note = LineField(label=_("Note"), max_length=1000, required=False)

    def __init__(self, *args, meetings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings
        self.fields["meeting"].label_from_instance = lambda m: (
            f"{timezone.localtime(m.starts_at):%Y-%m-%d %H:%M} {m.title} · {m.place}"
        )


class NoteForm(forms.Form):
    note = TextField(label=_("Note"), max_length=4000, required=False, widget=_rows(3))


class ProgressForm(NoteForm):
    photos = PhotosField(label=_("Photos"))


class VoteForm(forms.Form):
    present = IntField(label=_("Present"), min_value=0, max_value=100000, widget=NUMBER)
    votes_for = IntField(label=_("For"), min_value=0, max_value=100000, widget=NUMBER)
    votes_against = IntField(label=_("Against"), min_value=0, max_value=100000, widget=NUMBER)
    votes_abstain = IntField(label=_("Abstain"), min_value=0, max_value=100000, widget=NUMBER)
    note = LineField(label=_("Note"), max_length=1000, required=False)


class DecideForm(forms.Form):
    decision = TextField(label=_("Decision"), max_length=4000, widget=_rows(3))


class PublishForm(forms.Form):
    notice_days = IntField(
        label=_("Days of public notice"), min_value=1, max_value=365, initial=7, widget=NUMBER
    )


class MatterForm(forms.Form):
    code = LineField(label=_("Entry code"), max_length=30)
    title = LineField(label=_("Title"), max_length=100)
    description = TextField(
        label=_("Description"), max_length=2000, required=False, widget=_rows(2)
    )


class RuleForm(forms.Form):
    quorum_num = IntField(label=_("Quorum: numerator"), min_value=1, max_value=100, widget=NUMBER)
    quorum_den = IntField(label=_("Quorum: denominator"), min_value=1, max_value=100, widget=NUMBER)
    majority_num = IntField(
        label=_("Majority: numerator"), min_value=1, max_value=100, widget=NUMBER
    )
    majority_den = IntField(
        label=_("Majority: denominator"), min_value=1, max_value=100, widget=NUMBER
    )


class CommentForm(forms.Form):
    name = LineField(label=_("Your name"), max_length=50)
    text = TextField(label=_("Your comment"), max_length=1000, widget=_rows(3))


class HideForm(forms.Form):
    reason = LineField(label=_("Reason"), max_length=200)


class SkippedForm(forms.Form):
    unit = IdChoiceField(label=_("Village"), queryset=None)
    matter = IdChoiceField(label=_("Catalogue matter"), queryset=None)
    decided = TextField(label=_("What was decided"), max_length=2000, widget=_rows(3))
    decided_on = DayField(label=_("Decided on"), widget=DayInput())
    evidence = TextField(label=_("Evidence"), max_length=2000, required=False, widget=_rows(3))
    photo = forms.FileField(
        label=_("Photo of the evidence"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    def __init__(self, *args, units=None, matters=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["matter"].queryset = matters
        self.fields["matter"].label_from_instance = lambda m: m.title


class UnitChoiceForm(forms.Form):
    """The `?unit=` of a page, checked."""

    unit = IdField(required=False)
