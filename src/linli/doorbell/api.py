"""The doorbell API: the care register, devices, alarms (signed-in), and the devices'
own HTTP endpoint (`public`, authenticated by the message's signature)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["doorbell"])
public = Router(tags=["doorbell"])

# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------


# --- alarms -------------------------------------------------------------------------------
