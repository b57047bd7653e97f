from typing import Any

from django.urls import path

from .consumers import NotifyConsumer

# Channels' URLRouter takes Django URL patterns whose callbacks are ASGI applications,
# which Django's types do not describe: the list is typed loosely at this boundary.
websocket_urlpatterns: list[Any] = [
    path("ws/notify/", NotifyConsumer.as_asgi()),  # type: ignore[arg-type]
]
