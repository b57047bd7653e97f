"""API types every app shares: paging, the error answer, and the error statuses an
operation declares.

The contract (`docs/architecture.md`, "API"): every error the API answers, whether a
domain error, a malformed request, a missing login or an unknown object, has the
body `ErrorOut` (`{code, message, details?}`); each operation lists in its
`response=` the statuses it can give, built with `errors(...)`:

    @router.post("/things/{thing_id}", response={200: ThingOut, **errors(400, 401, 403, 404)})

Schema class names are unique across the whole API (the OpenAPI document keys its
`components/schemas` by class name), so an app prefixes generic names with its
domain: `AppealIn`, `DutyAppealIn`, never two `AppealIn`.

This module imports no other linli app.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from .inputs import MAX_INT, Page, bounded

MAX_PAGE_SIZE = 200


def choices_text(choices: Any) -> str:
    """List the codes of a TextChoices/StrEnum for a field description."""
    return "One of: " + ", ".join(str(getattr(c, "value", c)) for c in choices)


# --- paging ----------------------------------------------------------------------------

# Larger sizes are capped at MAX_PAGE_SIZE, not refused; the bound keeps the value an int32.
PageSize = Annotated[int, bounded(1, MAX_INT)]


class PageParams(Schema):
    page: Page = Field(1, description="Page number, from 1.")
    page_size: PageSize | None = Field(
        None, description=f"Rows per page (default 50, at most {MAX_PAGE_SIZE})."
    )


class Paged(PaginationBase):
    """`?page=&page_size=` paging with a `{items, count, page, pages, page_size}` answer.

    `page_size` defaults to LINLI["PAGE_SIZE"] and is capped at MAX_PAGE_SIZE;
    a page past the end answers an empty `items`. The answer's schema is named
    `Paged<ItemSchema>` by django-ninja.
    """

    Input = PageParams  # type: ignore[assignment]  # ninja types it as its own Input

    class Output(Schema):
        items: list[Any]
        count: int = Field(description="Rows matching the filters, on all pages.")
        page: int
        pages: int = Field(description="Number of pages (0 when nothing matches).")
        page_size: int

    def paginate_queryset(
        self, queryset: Any, pagination: PageParams, request: Any, **params: Any
    ) -> dict[str, Any]:
        size = min(pagination.page_size or settings.LINLI["PAGE_SIZE"], MAX_PAGE_SIZE)
        count = self._items_count(queryset)
        offset = (pagination.page - 1) * size
        return {
            "items": queryset[offset : offset + size],
            "count": count,
            "page": pagination.page,
            "pages": math.ceil(count / size),
            "page_size": size,
        }


# --- errors ----------------------------------------------------------------------------


class ErrorOut(Schema):
    """Every error answer of the API."""

    code: str = Field(description="Stable machine-readable code, e.g. `link_out_of_range`.")
    message: str = Field(description="Human-readable message in the user's language.")
    details: Any = Field(None, description="Extra data, e.g. the fields that failed to parse.")


ERROR_STATUSES = (400, 401, 403, 404, 409, 429)


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The `response=` entries for these error statuses, each answered with `ErrorOut`.

    400: malformed or invalid input (also ninja's validation errors, code `invalid`);
    401: no valid session or token; 403: not allowed (or a session write without its
    CSRF token); 404: not found or not yours; 409: refused by the object's state.
    """
    unknown = set(statuses) - set(ERROR_STATUSES)
    if unknown:
        raise ValueError(f"Not an error status of this API: {sorted(unknown)}")
    return {status: ErrorOut for status in sorted(statuses)}


# What an authenticated write may answer besides success: bad input, no login, not
# allowed (scope or CSRF), an id not found, a conflict with the object's state.
WRITE_ERRORS = errors(400, 401, 403, 404, 409)
