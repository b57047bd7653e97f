"""Forms of the conduct pages: they parse and render; the services validate the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.documents import ACCEPT
from linli.core.inputs import DayField, IdChoiceField, LineField, TextField
from linli.core.timeutil import today
from linli.duties.forms import DayInput, MultiplePhotoInput, PhotosField

from .models import BreachStage, Severity

ALL = [("", _("All"))]


class DocumentsField(PhotosField):
    """Several documents from one input; each is checked by content in the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": ACCEPT, "multiple": True}))
        super().__init__(*args, **kwargs)


class EntryFilterForm(forms.Form):
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=ALL + list(Severity.choices)
    )
    inactive = forms.BooleanField(label=_("Show inactive entries"), required=False)


class EntryForm(forms.Form):
    """A new entry: of the city's list, or of one of the writer's towns."""

    unit = forms.ChoiceField(label=_("List"), required=False)
    code = LineField(label=_("Entry code"), max_length=20)
    title = LineField(label=_("Title"), max_length=200)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    description = TextField(
        label=_("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, city: bool, towns: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("The city's list"))] if city else []
        choices += [(str(t.pk), _("%(town)s's own list") % {"town": t.name}) for t in towns]
        unit: Any = self.fields["unit"]
        unit.choices = choices


class EntryEditForm(forms.Form):
    title = LineField(label=_("Title"), max_length=200)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    description = TextField(
        label=_("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    active = forms.BooleanField(label=_("Active"), required=False)


class BreachFilterForm(forms.Form):
    q = LineField(label=_("Search"), max_length=100, required=False)
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=ALL + list(BreachStage.choices)
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=ALL + list(Severity.choices)
    )
    overdue = forms.BooleanField(label=_("Window passed without statement"), required=False)
    unit = IdChoiceField(label=_("Unit"), queryset=None, required=False, empty_label=_("All"))

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit: Any = self.fields["unit"]
        unit.queryset = units


class BreachReportForm(forms.Form):
    representative = IdChoiceField(label=_("Representative"), queryset=None)
    entry = IdChoiceField(label=_("Entry of the negative list"), queryset=None)
    description = TextField(
        label=_("What happened"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    occurred_on = DayField(label=_("When"), widget=DayInput(), initial=today)
    place = LineField(label=_("Place"), max_length=200, required=False)
    source = LineField(
        label=_("A resident's report: the resident's name"), max_length=100, required=False
    )
    photos = PhotosField(label=_("Photos"))
    documents = DocumentsField(label=_("Documents"))

    def __init__(self, *args: Any, representatives: Any, entries: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reps: Any = self.fields["representative"]
        reps.queryset = representatives
        reps.label_from_instance = lambda r: f"{r.name}（{r.unit.name}）"
        entry: Any = self.fields["entry"]
        entry.queryset = entries
        entry.label_from_instance = lambda e: f"{e.code} {e.title}（{e.get_severity_display()}）"


class StatementForm(forms.Form):
    text = TextField(
        label=_("Statement"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )


class DecisionForm(forms.Form):
    reason = TextField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class WithdrawForm(forms.Form):
    reason = TextField(
        label=_("Reason"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EvidenceForm(forms.Form):
    photos = PhotosField(label=_("Photos"))
    documents = DocumentsField(label=_("Documents"))
