"""The love doorbell's pages: thin views over selectors (reads) and services (writes)."""

from __future__ import annotations

# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------


# --- alarms -------------------------------------------------------------------------------
