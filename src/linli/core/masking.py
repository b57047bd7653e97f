"""Masking of personal data (ID card numbers, phones) for display and export."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """Keep the 6-digit region and the last 4 characters: 430181********1234."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """Keep the first 3 and last 4 digits: 138****5678."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
