"""The one shape of every paged API list: `?page=1&page_size=50` (max 500) →
`{count, page, page_size, items}`. A page past the last is empty, not an error."""

from django.core.paginator import Paginator
from ninja import Field, Schema

MAX_PAGE_SIZE = 500


class PageQuery(Schema):
    page: int = Field(default=1, ge=1, le=2**31)
    page_size: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)


def paged(items, *, page: int, page_size: int) -> dict:
    """{count, page, page_size, items} of an ordered queryset (or list)."""
    paginator = Paginator(items, page_size)
    rows = list(paginator.page(page).object_list) if page <= paginator.num_pages else []
    return {"count": paginator.count, "page": page, "page_size": page_size, "items": rows}
