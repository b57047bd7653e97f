from django.conf import settings


def platform(request):
    return {
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        # Map tiles are optional: with no URL, maps show just the marker.
        "LINLI_TILE_URL": settings.LINLI.get("MAP_TILE_URL", ""),
    }
