"""http_api: a provider's paged JSON CDR API (base_url, api_key).

GET {base_url}/cdrs?month=YYYY-MM&page=N with a Bearer key answers
{"records": [...], "next_page": N | null}. Every answer is validated: the page
into CdrPage, each record into CdrRecord. A record that does not fit is handed
on as a rejected row with its reason (the rest of the page is imported); a page
that does not fit fails the sync. Transient failures are retried here with
backoff, then handed to the job engine's retry.

An answer is known by the SHA-256 of its body. One whose body is the one imported
before at the same page position for the month (known_pages) is not decoded: the
stored record says where it points next and how many records it held.
"""

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Iterator, Mapping
from decimal import Decimal
from operator import itemgetter
from typing import Any, NotRequired, TypedDict

import orjson
from django.conf import settings
from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, TypeAdapter, ValidationError

from telcost.core.cdr_format import CSV_COLUMNS
from telcost.integrations.http import OutboundError, send
from telcost.integrations.providers.base import UNREACHABLE, Page, PageRead, Provider, ProviderError

logger = logging.getLogger("telcost.integrations")

RETRIES = 4
BACKOFF_S = 0.25
DEFAULT_TIMEOUT_S = 15.0
# A connection test answers within 10 s: a connect and a read of at most 3 s each, and the
# whole body within 6 s of the request (worst case about 9 s).
PROBE_TIMEOUT_S = 3.0
PROBE_DEADLINE_S = 6.0


class CdrPage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    records: list[Any]
    next_page: StrictInt | None = None


class CdrRecord(TypedDict):
    """One CDR as a provider sends it; the import service checks the values themselves.

    A TypedDict rather than a model: pydantic-core validates a whole page of them
    in one call, and the rows come out as plain dicts without a model per record.
    """

    external_id: StrictStr | StrictInt
    msisdn: StrictStr | StrictInt
    started_at: StrictStr
    record_type: StrictStr
    zone: StrictStr
    destination: NotRequired[StrictStr | StrictInt | None]
    duration_s: StrictInt | StrictStr
    volume_kb: StrictInt | StrictStr
    # JSON numbers are read as Decimal (parse_float), so money never passes through a float.
    provider_cost: StrictStr | StrictInt | Decimal


_RECORD = TypeAdapter(CdrRecord)
_RECORDS = TypeAdapter(list[CdrRecord])
_VALIDATE_SLICE = 250
_FIELDS = tuple(CdrRecord.__annotations__)
if _FIELDS != CSV_COLUMNS:  # checked once, at import: the values go to the import in this order
    raise ImportError(
        f"CdrRecord's fields {_FIELDS} are not the wire format's CSV_COLUMNS {CSV_COLUMNS}"
    )
_in_order = itemgetter(*_FIELDS)


def _as_values(record: dict) -> tuple[str, ...]:
    """The import service's texts of a validated record, in CSV_COLUMNS order."""
    try:
        values = _in_order(record)
    except KeyError:  # destination may be left out
        values = tuple(record.get(key) for key in _FIELDS)
    if None in values:
        values = tuple("" if value is None else value for value in values)
    return tuple(map(str, values))


def _rejection(record: Any, exc: ValidationError) -> str:
    """One line a person can act on, naming the fields (pydantic lists a union's members
    separately)."""
    if not isinstance(record, dict):
        return f"the record is not a JSON object: {json.dumps(record, default=str)[:60]}"
    reasons: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "record"
        if error["type"] == "missing":
            reasons.setdefault(field, f"{field} is missing")
        else:
            reasons.setdefault(
                field,
                f"{field} has an unusable value {json.dumps(record.get(field), default=str)[:60]}",
            )
    return "; ".join(reasons.values())


def record_values(record: Any) -> tuple[str, ...] | str:
    """The import service's values of one record, or the reason it does not fit (a rejected row)."""
    try:
        return _as_values(_RECORD.validate_python(record))
    except ValidationError as exc:
        return _rejection(record, exc)


def records_values(records: list[Any]) -> list[tuple[str, ...] | str]:
    """Values of a page: validated in one call, record by record only when some record does not
    fit."""
    try:
        return [_as_values(record) for record in _RECORDS.validate_python(records)]
    except ValidationError:
        return [record_values(record) for record in records]


def page_of_values(content: bytes) -> tuple[CdrPage, list[tuple[str, ...] | str]]:
    """A provider's answer as a page and its records' values; ValueError if it is not a page of
    records.

    Fast path: orjson and a strict validation of the records, a slice at a time. orjson reads
    a number with a fraction as a float, which strict validation refuses (no Decimal from a
    float); a page with such a number, or any record that does not fit, is read again the
    exact way: numbers as Decimal, each record on its own with its reason.
    """
    try:
        page = CdrPage.model_validate(orjson.loads(content))
        records = page.records
        # In slices: one call holds the interpreter throughout, and the importing thread waits for
        # it
        # at each database answer (this runs in the read-ahead thread).
        return page, [
            _as_values(record)
            for start in range(0, len(records), _VALIDATE_SLICE)
            for record in _RECORDS.validate_python(
                records[start : start + _VALIDATE_SLICE], strict=True
            )
        ]
    except (ValueError, ValidationError):  # orjson.JSONDecodeError is a ValueError
        pass
    try:
        page = CdrPage.model_validate(json.loads(content, parse_float=Decimal))
    except ValidationError as exc:
        raise ValueError(str(exc)) from None
    return page, records_values(page.records)


def _failure(exc: OutboundError) -> ProviderError:
    """What a call that did not give a usable answer means to the sync (and to its reader)."""
    if exc.status in (401, 403):
        return ProviderError(
            f"the provider refused the credentials (HTTP {exc.status})", transient=False
        )
    if exc.status is None:
        return ProviderError(UNREACHABLE, transient=exc.transient)
    if not exc.transient:
        return ProviderError(f"the provider answered {exc}", transient=False)
    return ProviderError(f"the provider is unavailable: {exc}", transient=True)


class PagedJsonProvider(Provider):
    """Shared by http_api and routit: only the address and the key header differ."""

    timeout = DEFAULT_TIMEOUT_S
    public_only = False  # the URL is the operator's (env), not typed by staff

    def url(self) -> str:
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        raise NotImplementedError

    def before_request(self) -> None:
        """Called before every request (a retry too): where a provider's rate limit waits its
        turn."""

    def _get(self, params: dict) -> bytes:
        """The body of the provider's answer, transient failures retried with backoff."""
        delay = BACKOFF_S
        for attempt in range(1, RETRIES + 1):
            url = self.url()  # a provider that cannot name its address fails before taking a turn
            self.before_request()
            try:
                response = send(
                    "GET",
                    url,
                    params=params,
                    headers=self.headers(),
                    timeout=self.timeout,
                    public_only=self.public_only,
                )
            except OutboundError as exc:
                self._log_unreached(exc, attempt)
                if attempt == RETRIES or not exc.transient:
                    raise _failure(exc) from None
                time.sleep(delay)
                delay *= 2
                continue
            return response.content
        raise AssertionError("unreachable")

    def _log_unreached(self, exc: OutboundError, attempt: int) -> None:
        if exc.status is None:
            # Refused, hung up, timed out, not resolved, an internal address: to users one
            # sentence, whatever happened on the wire (they would tell an open port from a
            # closed one); the operator reads the detail in the log.
            logger.warning(
                "provider at %s could not be reached (attempt %s): %s",
                self.url(),
                attempt,
                exc.detail,
            )

    def probe(self, *, cycle_start: dt.date) -> str:
        """One request for the month's first page, not retried, over within PROBE_DEADLINE_S:
        what it found, or ProviderError with the sentence a sync would fail with."""
        url = self.url()
        self.before_request()
        try:
            response = send(
                "GET",
                url,
                params={"month": f"{cycle_start:%Y-%m}", "page": 1},
                headers=self.headers(),
                timeout=min(self.timeout, PROBE_TIMEOUT_S),
                deadline_s=PROBE_DEADLINE_S,
                public_only=self.public_only,
            )
        except OutboundError as exc:
            self._log_unreached(exc, 1)
            raise _failure(exc) from None
        try:
            page = CdrPage.model_validate(json.loads(response.content, parse_float=Decimal))
        except (ValueError, ValidationError):
            raise ProviderError(
                "the provider's answer was not a page of records", transient=False
            ) from None
        return f"the first page of {cycle_start:%Y-%m} holds {len(page.records)} records"

    def pages(
        self,
        *,
        cycle_start: dt.date,
        checkpoint: dict,
        known_files: frozenset[str] = frozenset(),
        known_pages: Mapping[tuple[int, str], object] | None = None,
    ) -> Iterator[Page]:
        known_pages = known_pages or {}
        page_number = checkpoint.get("next_page", 1)
        line = checkpoint.get("line", 0)
        month = f"{cycle_start:%Y-%m}"
        while page_number is not None:
            content = self._get({"month": month, "page": page_number})
            digest = hashlib.sha256(content).hexdigest()
            known = known_pages.get((page_number, digest))
            if known is not None:
                # The same bytes at the same position: decoding them would give the same records
                # and the same next page, both recorded when they were imported.
                position, page_number, line = page_number, known.next_page, line + known.records
                yield Page(
                    rows=[],
                    checkpoint={"next_page": page_number, "line": line},
                    body=PageRead(position, digest, skipped=True),
                )
                continue
            try:
                page, values = page_of_values(content)
            except ValueError:
                raise ProviderError(
                    "the provider's answer was not a page of records", transient=False
                ) from None
            if page.next_page is not None and page.next_page <= page_number:
                # A provider that points back would have us read the same pages forever.
                raise ProviderError(
                    f"the provider's page {page_number} points back to page {page.next_page}",
                    transient=False,
                )
            position, page_number = page_number, page.next_page
            rows = list(enumerate(values, start=line + 1))
            line += len(rows)
            yield Page(
                rows=rows,
                checkpoint={"next_page": page_number, "line": line},
                body=PageRead(position, digest),
            )


class HttpApiProvider(PagedJsonProvider):
    def __init__(
        self, *, base_url: str, api_key: str, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        self.base_url, self.api_key, self.timeout = base_url.rstrip("/"), api_key, timeout_s
        # Staff typed the URL: it must not reach the internal network (the setting allows it for
        # the simulators of the demo and the tests).
        self.public_only = not settings.TELCOST_ALLOW_PRIVATE_PROVIDER_URLS

    def url(self) -> str:
        return f"{self.base_url}/cdrs"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}
