"""API for the organisation (filled in by the API work)."""

from ninja import Router

router = Router(tags=["org"])
