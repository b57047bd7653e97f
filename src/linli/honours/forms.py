"""The forms of the hundred-best, benefits and reserve pool pages (every field from
`core.inputs`, or a choice)."""

from __future__ import annotations

from typing import Any

from django import forms
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

from .models import (
    CITATION_MAX,
    DEFAULT_MAX_AGE,
    DEFAULT_MIN_SCORE,
    DEFAULT_NOTICE_DAYS,
    DEFAULT_SEATS,
    MAX_NOTICE_DAYS,
    MAX_SEATS,
    NOTE_MAX,
    OBJECTION_MAX,
    ReserveStatus,
)


def _rows(n: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": n})


class OpenForm(forms.Form):
    year = IntField(label=_("Year"), min_value=2000, max_value=2100)
    seats = IntField(
        label=_("Total seats"), min_value=1, max_value=MAX_SEATS, initial=DEFAULT_SEATS
    )


class AdvanceForm(forms.Form):
    days = IntField(
        label=_("Days of the public notice"),
        min_value=1,
        max_value=MAX_NOTICE_DAYS,
        initial=DEFAULT_NOTICE_DAYS,
        required=False,
    )
    note = LineField(label=_("Note"), max_length=NOTE_MAX, required=False)


class QuotaForm(forms.Form):
    town = IdChoiceField(label=_("Town"), queryset=None)
    seats = IntField(label=_("Seats"), min_value=0, max_value=MAX_SEATS)

    def __init__(self, *args: Any, towns: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["town"]
        field.queryset = towns


class NominateForm(forms.Form):
    representative = IdChoiceField(label=_("Representative"), queryset=None)
    citation = TextField(
        label=_("Citation"), max_length=CITATION_MAX, required=False, widget=_rows(3)
    )

    def __init__(
        self,
        *args: Any,
        representatives: Any,
        labels: dict[int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        """`representatives` in the order shown (the town's ranking); `labels` names
        each by id (village group, rank, score, whether suggested)."""
        super().__init__(*args, **kwargs)
        field: Any = self.fields["representative"]
        field.queryset = representatives
        if labels:
            field.label_from_instance = lambda rep: labels.get(rep.pk, rep.name)


class CitationForm(forms.Form):
    citation = TextField(label=_("Citation"), max_length=CITATION_MAX, widget=_rows(4))


class NoteForm(forms.Form):
    note = LineField(label=_("Note"), max_length=NOTE_MAX, required=False)


class AnswerForm(forms.Form):
    objection = IdField()
    answer = LineField(label=_("The city's answer"), max_length=NOTE_MAX)


class ObjectionForm(forms.Form):
    text = TextField(label=_("Your objection"), max_length=OBJECTION_MAX, widget=_rows(4))
    name = LineField(label=_("Your name (optional)"), max_length=50, required=False)
    phone = LineField(
        label=_("Mobile number"),
        max_length=20,
        help_text=_("Only the city sees it, to ask you about the objection."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


class BenefitKindForm(forms.Form):
    name = LineField(label=_("Name"), max_length=100)
    provider = LineField(label=_("Provider"), max_length=100, required=False)
    description = TextField(
        label=_("Benefit description"), max_length=2000, required=False, widget=_rows(2)
    )


class IssueForm(forms.Form):
    kind = IdChoiceField(label=_("Benefit"), queryset=None)
    representative = IdChoiceField(label=_("Representative"), queryset=None)
    issued_on = DayField(label=_("Issued on"), widget=DayInput())
    reference = LineField(label=_("Reference"), max_length=100, required=False)

    def __init__(self, *args: Any, kinds: Any, representatives: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind: Any = self.fields["kind"]
        kind.queryset = kinds
        rep: Any = self.fields["representative"]
        rep.queryset = representatives


class RevokeForm(forms.Form):
    reason = LineField(label=_("Reason for revoking"), max_length=NOTE_MAX)


class ReserveRuleForm(forms.Form):
    max_age = IntField(label=_("Age under"), min_value=18, max_value=100, initial=DEFAULT_MAX_AGE)
    min_score = IntField(
        label=_("Minimum score (points)"), min_value=0, max_value=100, initial=DEFAULT_MIN_SCORE
    )


class ReserveFilterForm(forms.Form):
    year = IntField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *ReserveStatus.choices], required=False
    )
    unit = IdChoiceField(label=_("Unit"), queryset=None, required=False)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit: Any = self.fields["unit"]
        unit.queryset = units
        unit.label_from_instance = lambda u: (
            f"{u.parent.name} / {u.name}" if u.parent_id else str(u.name)
        )
