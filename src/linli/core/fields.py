"""Moved to `core.inputs`, the one input layer; kept so older imports keep working."""

from __future__ import annotations

from .inputs import MAX_ID, IdChoiceField, IdMultipleChoiceField, is_id

__all__ = ["MAX_ID", "IdChoiceField", "IdMultipleChoiceField", "is_id"]
