from typing import Any

from django.urls import path

from .consumers import AlarmPanelConsumer

# Typed loosely at this boundary, like notify's (Channels' URLRouter takes ASGI apps).
websocket_urlpatterns: list[Any] = [
    path("ws/doorbell/alarms/", AlarmPanelConsumer.as_asgi()),  # type: ignore[arg-type]
]
