"""The project's URLs plus views that fail on purpose, for tests/core/test_error_pages.py."""

from django.urls import path

from linli.core.errors import Forbidden, NotFound
from linli.urls import handler400, handler403, handler404, handler500, urlpatterns


def crash(request):
    raise RuntimeError("boom")


def domain_not_found(request):
    raise NotFound("Appeal not found.")


def domain_forbidden(request):
    raise Forbidden("You may not do this.")


urlpatterns = [
    path("test-errors/crash/", crash),
    path("test-errors/not-found/", domain_not_found),
    path("test-errors/forbidden/", domain_forbidden),
    *urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
