from typing import Any

from django.urls import path

from .consumers import CentreConsumer

# Typed loosely at this boundary, like notify's (Channels' URLRouter takes ASGI apps).
websocket_urlpatterns: list[Any] = [
    path("ws/centre/<int:unit>/", CentreConsumer.as_asgi()),  # type: ignore[arg-type]
]
