"""One paginator for pages and exports, so every list pages the same way."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Page, Paginator


def paginate(queryset, page_number: str | int | None, per_page: int | None = None) -> Page:
    paginator = Paginator(queryset, per_page or settings.LINLI["PAGE_SIZE"])
    return paginator.get_page(page_number)
