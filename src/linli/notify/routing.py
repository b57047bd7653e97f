from django.urls import path

from .consumers import NotifyConsumer

websocket_urlpatterns = [
    # Django's path() is typed for views; Channels routes ASGI applications through it.
    path("ws/notify/", NotifyConsumer.as_asgi()),  # type: ignore[arg-type]
]
