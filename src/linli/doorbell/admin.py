"""The love doorbell in the admin: read-only (writes go through the services)."""

from __future__ import annotations

# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------


# --- alarms -------------------------------------------------------------------------------
