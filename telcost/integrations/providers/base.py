"""The interface every CDR provider speaks (the choice of one for a sync profile:
syncs.providers)."""

import datetime as dt
from collections.abc import Iterator, Mapping
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
    # The import service's database-free preparation of rows (cdrs_rows_prepare), made while reading
    # ahead.
    prepared: list | None = None


class Provider:
    def pages(
        self,
        *,
        cycle_start: dt.date,
        checkpoint: dict,
        known_files: frozenset[str] = frozenset(),
        known_pages: Mapping[tuple[int, str], object] | None = None,
    ) -> Iterator[Page]:
        """The month's records page by page, from checkpoint on.

        known_files: sha256 digests of files read in full for this month before; a provider
        that reads files skips those (the others have no files and ignore it).
        known_pages: (position, sha256) of pages imported for this month before, each with
        the .next_page and .records its body held; a paged provider skips decoding those
        (the others ignore it).
        """
        raise NotImplementedError

    def probe(self, *, cycle_start: dt.date) -> str:
        """A connection test: one bounded look at the month's records, not retried. What it
        found, in a sentence; ProviderError (the sentence a sync would fail with) otherwise."""
        raise NotImplementedError
