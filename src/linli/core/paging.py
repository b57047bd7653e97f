"""One paginator for pages and exports, so every list pages the same way."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator


def paginate(
    queryset: Any, page_number: str | int | None, per_page: int | None = None
) -> Page[Any]:
    paginator = Paginator(queryset, per_page or settings.LINLI["PAGE_SIZE"])
    return paginator.get_page(page_number)
