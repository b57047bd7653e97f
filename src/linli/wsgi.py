import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
application = get_wsgi_application()

from linli.core.checks import ensure_safe_to_serve  # noqa: E402

# Production refuses to serve with demo-only settings (DEBUG, the demo key, ...).
ensure_safe_to_serve()
