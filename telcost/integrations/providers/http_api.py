"""http_api: a provider's paged JSON CDR API (base_url, api_key).

GET {base_url}/cdrs?month=YYYY-MM&page=N with a Bearer key answers
{"records": [...], "next_page": N | null}. Every answer is validated; transient
failures are retried here with backoff, then handed to the job engine's retry.
"""

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from telcost.integrations.http import OutboundError, send
from telcost.integrations.providers.base import Page, Provider, ProviderError

RETRIES = 4
BACKOFF_S = 0.25


class CdrPage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    records: list[dict[str, Any]]
    next_page: int | None = None


def _as_text(record: dict[str, Any]) -> dict[str, str]:
    return {key: "" if value is None else str(value) for key, value in record.items()}


class PagedJsonProvider(Provider):
    """Shared by http_api and routit: only the address and the key header differ."""

    timeout = 15.0

    def url(self) -> str:
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        raise NotImplementedError

    def _get(self, params: dict) -> CdrPage:
        delay = BACKOFF_S
        for attempt in range(1, RETRIES + 1):
            try:
                response = send("GET", self.url(), params=params, headers=self.headers(), timeout=self.timeout)
            except OutboundError as exc:
                if exc.status in (401, 403):
                    raise ProviderError(f"the provider refused the credentials (HTTP {exc.status})", transient=False) from None
                if not exc.transient:
                    raise ProviderError(f"the provider answered {exc}", transient=False) from None
                if attempt == RETRIES:
                    raise ProviderError(f"the provider is unavailable: {exc}", transient=True) from None
                time.sleep(delay)
                delay *= 2
                continue
            try:
                return CdrPage.model_validate(response.json())
            except (ValueError, ValidationError):
                raise ProviderError("the provider's answer was not a page of records", transient=False) from None
        raise AssertionError("unreachable")

    def pages(self, *, cycle_start: dt.date, checkpoint: dict) -> Iterator[Page]:
        page_number = checkpoint.get("next_page", 1)
        line = checkpoint.get("line", 0)
        while page_number is not None:
            page = self._get({"month": f"{cycle_start:%Y-%m}", "page": page_number})
            rows = []
            for record in page.records:
                line += 1
                rows.append((line, _as_text(record)))
            page_number = page.next_page
            yield Page(rows=rows, checkpoint={"next_page": page_number, "line": line})


class HttpApiProvider(PagedJsonProvider):
    def __init__(self, *, base_url: str, api_key: str) -> None:
        self.base_url, self.api_key = base_url.rstrip("/"), api_key

    def url(self) -> str:
        return f"{self.base_url}/cdrs"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}
