"""The interface every CDR provider speaks, and the choice of one for a sync profile."""

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext_noop

# What users read when a provider could not be reached, whatever the cause (translated on display).
UNREACHABLE = gettext_noop("the provider could not be reached")
OUTSIDE_DROP_ROOT = gettext_noop("the drop folder is not under the drop root")


class ProviderError(Exception):
    """The provider cannot deliver; `transient` says whether a later try may succeed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class FileRead:
    """Which drop file a page's rows come from.

    complete: this is its last page; sha256 then names the bytes read, or is None when
    they changed while being read. skipped: its content was read in full before, the
    page has no rows.
    """

    name: str
    sha256: str | None
    complete: bool = False
    skipped: bool = False


@dataclass(frozen=True)
class PageRead:
    """Which answer of a paged provider a page is: its position (the page number asked
    for) and the SHA-256 of the body as received. skipped: the same body at the same
    position was imported before (see known_pages), the page has no rows.
    """

    position: int
    sha256: str
    skipped: bool = False


@dataclass
class Page:
    """Records ready for the import service, and where to resume once they are imported.

    rows: (line, the nine texts in CSV_COLUMNS order, or the reason the record could not be read).
    """

    rows: list[tuple[int, tuple[str, ...] | str]]
    checkpoint: dict
    errors: list[dict] = field(default_factory=list)
    file: FileRead | None = None
    body: PageRead | None = None
    # The import service's database-free preparation of rows (cdrs_rows_prepare), made while reading ahead.
    prepared: list | None = None


class Provider:
    def pages(self, *, cycle_start: dt.date, checkpoint: dict, known_files: frozenset[str] = frozenset(),
              known_pages: Mapping[tuple[int, str], object] | None = None) -> Iterator[Page]:
        """The month's records page by page, from checkpoint on.

        known_files: sha256 digests of files read in full for this month before; a provider
        that reads files skips those (the others have no files and ignore it).
        known_pages: (position, sha256) of pages imported for this month before, each with
        the .next_page and .records its body held; a paged provider skips decoding those
        (the others ignore it).
        """
        raise NotImplementedError


def provider_for(profile, *, nina_limiter: Callable[[], None] | None = None) -> Provider:
    """The profile's provider. nina_limiter: waits for a turn in the customer's Nina window,
    before each request of a provider that calls the Nina API (routit)."""
    from telcost.integrations.providers.file_drop import FileDropProvider
    from telcost.integrations.providers.http_api import DEFAULT_TIMEOUT_S, HttpApiProvider
    from telcost.integrations.providers.routit import RoutitProvider
    from telcost.syncs.credentials import credentials_decrypt

    if profile.provider == "file_drop":
        return FileDropProvider(path=profile.settings["path"])
    if profile.provider == "http_api":
        # Only a provider that needs credentials opens them; unreadable ones fail the sync
        # saying so.
        try:
            credentials = credentials_decrypt(profile.credentials_encrypted)
        except ValueError as exc:
            raise ProviderError(str(exc), transient=False) from None
        return HttpApiProvider(base_url=profile.settings["base_url"], api_key=credentials.get("api_key", ""),
                               timeout_s=float(profile.settings.get("timeout_s", DEFAULT_TIMEOUT_S)))
    if profile.provider == "routit":
        return RoutitProvider(customer_ref=profile.customer.external_ref or str(profile.customer_id),
                              wait_for_slot=nina_limiter)
    raise ProviderError(f"unknown provider {profile.provider!r}", transient=False)
