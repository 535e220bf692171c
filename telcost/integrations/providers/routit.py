"""routit: the T-Mobile wholesale partner's CDRs over the Nina API (same paged format, Nina's key).

Nina allows a customer 10 requests in any 60 seconds, whoever calls: each page request
first waits for its turn through the limiter passed in (telcost counts the window in
nina_request_limit, which this package does not know).
"""

from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings

from telcost.integrations.providers.base import ProviderError
from telcost.integrations.providers.http_api import PagedJsonProvider


class RoutitProvider(PagedJsonProvider):
    def __init__(
        self, *, customer_ref: str, wait_for_slot: Callable[[], None] | None = None
    ) -> None:
        self.customer_ref = customer_ref
        self.wait_for_slot = wait_for_slot

    def url(self) -> str:
        # One path segment whatever the reference holds ("/", "?", "#"); "." and ".." would be
        # read as steps up the path even quoted, so they name no customer.
        if self.customer_ref.strip(".") == "":
            raise ProviderError(
                "the customer's external reference cannot name a customer at Nina", transient=False
            )
        segment = quote(self.customer_ref, safe="")
        return f"{settings.NINA_API_URL.rstrip('/')}/customers/{segment}/cdrs"

    def headers(self) -> dict[str, str]:
        return {"X-Api-Key": settings.NINA_API_KEY}

    def before_request(self) -> None:
        if self.wait_for_slot is not None:
            self.wait_for_slot()
