"""routit: the T-Mobile wholesale partner's CDRs over the Nina API (same paged format, Nina's key)."""

from django.conf import settings

from telcost.integrations.providers.http_api import PagedJsonProvider


class RoutitProvider(PagedJsonProvider):
    def __init__(self, *, customer_ref: str) -> None:
        self.customer_ref = customer_ref

    def url(self) -> str:
        return f"{settings.NINA_API_URL.rstrip('/')}/customers/{self.customer_ref}/cdrs"

    def headers(self) -> dict[str, str]:
        return {"X-Api-Key": settings.NINA_API_KEY}
