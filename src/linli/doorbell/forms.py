"""The love doorbell's forms (through core.inputs)."""

from __future__ import annotations

# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------


# --- alarms -------------------------------------------------------------------------------
