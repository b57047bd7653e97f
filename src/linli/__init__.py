"""linli (邻里): grassroots governance through neighbourhood representatives."""

__version__ = "0.1.0"

# Load the Celery app with Django so that @shared_task binds to it.
from .celery import app as celery_app  # noqa: E402

__all__ = ["__version__", "celery_app"]
