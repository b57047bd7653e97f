"""Forms of the login by SMS code (kept apart from `forms.py`)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.inputs import LineField


class CodeRequestForm(forms.Form):
    phone = LineField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autofocus": True, "inputmode": "tel", "autocomplete": "tel"}
        ),
    )


class CodeVerifyForm(forms.Form):
    code = LineField(
        label=_("Verification code"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]{6}",
            }
        ),
    )

    def clean_code(self) -> str:
        code = str(self.cleaned_data["code"]).strip()
        if not code.isdigit():
            raise forms.ValidationError(_("The code is 6 digits."))
        return code
