"""Every API list is paged the same way: `?page=1&page_size=50` (at most 500) answers
`{count, page, page_size, items}`; a page past the end is empty, not an error."""

from typing import Any

from django.core.paginator import Paginator
from ninja import Field, Schema

MAX_PAGE_SIZE = 500


class PageQuery(Schema):
    """The paging query parameters; an endpoint's own query schema extends it."""

    page: int = Field(default=1, ge=1, le=2**31)
    page_size: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)


def page_of(items, query: PageQuery, shape=None) -> dict[str, Any]:
    """One page of a queryset (ordered) or list, each item through `shape` when given."""
    paginator = Paginator(items, query.page_size)
    rows = list(paginator.page(query.page).object_list) if query.page <= paginator.num_pages else []
    return {
        "count": paginator.count,
        "page": query.page,
        "page_size": query.page_size,
        "items": [shape(row) for row in rows] if shape else rows,
    }
