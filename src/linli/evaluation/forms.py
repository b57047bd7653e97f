"""The forms of the evaluation pages (every field from `core.inputs`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import IntField, LineField

from .models import MAX_WEIGHT, PART_LABELS, PARTS, TARGET_LIMITS

TARGET_LABELS = {
    "activities": _("Activities a year"),
    "training_minutes": _("Training minutes a year"),
}


class WeightsForm(forms.Form):
    """A year's weights (one field a part) and targets, and why they change."""

    note = LineField(label=_("Reason for the change"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for part in PARTS:
            self.fields[f"w_{part}"] = IntField(
                label=PART_LABELS[part],
                min_value=0,
                max_value=MAX_WEIGHT,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
        for name, (lo, hi) in TARGET_LIMITS.items():
            self.fields[f"t_{name}"] = IntField(
                label=TARGET_LABELS[name],
                min_value=lo,
                max_value=hi,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
        # The reason last, after the figures.
        self.order_fields([*(f"w_{p}" for p in PARTS), *(f"t_{n}" for n in TARGET_LIMITS), "note"])

    def weights(self) -> dict[str, int]:
        return {p: self.cleaned_data[f"w_{p}"] for p in PARTS}

    def targets(self) -> dict[str, int]:
        return {n: self.cleaned_data[f"t_{n}"] for n in TARGET_LIMITS}

    def weight_fields(self) -> list[Any]:
        return [self[f"w_{p}"] for p in PARTS]

    def target_fields(self) -> list[Any]:
        return [self[f"t_{n}"] for n in TARGET_LIMITS]


class RankingFilterForm(forms.Form):
    q = LineField(label=_("Representative's name"), max_length=50, required=False)
