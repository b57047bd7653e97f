from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    return {
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        # Map tiles are optional: with no URL, maps show just the marker.
        "LINLI_TILE_URL": settings.LINLI.get("MAP_TILE_URL", ""),
    }
