"""The ASGI application: Django for HTTP, Channels for the live-push WebSocket."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
# Set Django up before importing anything that touches models (the consumers).
django_asgi_app = get_asgi_application()

from linli.core.checks import ensure_safe_to_serve  # noqa: E402

# Production refuses to serve with demo-only settings (DEBUG, the demo key, ...).
ensure_safe_to_serve()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from linli.dashboard.routing import websocket_urlpatterns as centre_ws  # noqa: E402
from linli.doorbell.routing import websocket_urlpatterns as doorbell_ws  # noqa: E402
from linli.notify.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([*websocket_urlpatterns, *doorbell_ws, *centre_ws]))
        ),
    }
)
