"""file_drop: every *.csv in a folder, through the CDR CSV reader of the import service.

A file is known by the SHA-256 of its content. One read in full for the month before
(known_files) is skipped without parsing; a changed file has another digest and is
read. A file is imported whole or not at all (its pages in one transaction, see
syncs.services.sync_run), so only its last page moves the checkpoint past it; a file
that cannot be read as CSV fails the sync, named with its line (ImportRefused).
"""

import datetime as dt
import hashlib
import io
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from django.conf import settings

from telcost.core.cdr_format import ImportRefused, csv_rows
from telcost.integrations.providers.base import (
    OUTSIDE_DROP_ROOT,
    FileRead,
    Page,
    Provider,
    ProviderError,
)

NOT_UNDER_ROOT = "not read: not a file under the drop root (a link out of it?)"
PAGE_ROWS = 20_000
_CHUNK = 1 << 20


def under_drop_root(path: str | Path) -> Path | None:
    """The path (relative ones taken from the drop root) with every symlink resolved, if it lies
    under TELCOST_DROP_ROOT; else None. A link inside the root that points out is outside."""
    root = Path(settings.TELCOST_DROP_ROOT).resolve()
    resolved = (root / path).resolve()
    return resolved if resolved.is_relative_to(root) else None


def _no_link(path, flags):
    # The last component was resolved and checked: a link swapped in since is not followed.
    return os.open(path, flags | os.O_NOFOLLOW)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", opener=_no_link) as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader(io.RawIOBase):
    """A file's bytes on their way to the CSV reader, hashed as they pass: the digest of what was
    parsed."""

    def __init__(self, raw) -> None:
        self.raw, self.digest = raw, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.raw.readinto(buffer)
        self.digest.update(memoryview(buffer)[:count])
        return count


class FileDropProvider(Provider):
    def __init__(self, *, path: str) -> None:
        self.path = Path(path)

    def pages(
        self,
        *,
        cycle_start: dt.date,
        checkpoint: dict,
        known_files: frozenset[str] = frozenset(),
        known_pages: Mapping[tuple[int, str], object] | None = None,
    ) -> Iterator[Page]:
        # Checked again at every sync: the folder may have become a link out of the root since.
        folder = under_drop_root(self.path)
        if folder is None:
            raise ProviderError(OUTSIDE_DROP_ROOT, transient=False)
        if not folder.is_dir():
            raise ProviderError(f"the drop folder {self.path} does not exist", transient=False)
        done_files = set(checkpoint.get("done_files", []))
        for name in sorted(path.name for path in folder.glob("*.csv")):
            if name in done_files:
                continue
            file = under_drop_root(folder / name)
            if file is None or not file.is_file():
                done_files.add(name)
                yield Page(
                    rows=[],
                    checkpoint={"done_files": sorted(done_files)},
                    errors=[{"file": name, "reason": NOT_UNDER_ROOT}],
                    file=FileRead(name, None, complete=True),
                )
                continue
            digest = file_digest(file)
            done_files.add(name)
            if digest in known_files:
                yield Page(
                    rows=[],
                    checkpoint={"done_files": sorted(done_files)},
                    file=FileRead(name, digest, complete=True, skipped=True),
                )
                continue
            yield from self._file_pages(file, name, digest, sorted(done_files - {name}))

    def probe(self, *, cycle_start: dt.date) -> str:
        folder = under_drop_root(self.path)
        if folder is None:
            raise ProviderError(OUTSIDE_DROP_ROOT, transient=False)
        if not folder.is_dir():
            raise ProviderError(f"the drop folder {self.path} does not exist", transient=False)
        try:  # scandir, as glob would answer an unreadable folder with no files
            with os.scandir(folder) as entries:
                files = sum(1 for e in entries if e.name.endswith(".csv") and e.is_file())
        except OSError:
            raise ProviderError(
                f"the drop folder {self.path} cannot be read", transient=False
            ) from None
        return f"the drop folder holds {files} CSV files"

    def _file_pages(
        self, file: Path, name: str, digest: str, done_before: list[str]
    ) -> Iterator[Page]:
        # Pages before the last resume at the file's start: they are committed with it or not at
        # all.
        before = {"done_files": done_before}
        rows: list = []
        with open(file, "rb", buffering=0, opener=_no_link) as raw:
            reader = _HashingReader(raw)
            try:
                for line, values in csv_rows(io.BufferedReader(reader, _CHUNK)):
                    rows.append((line, values))
                    if len(rows) >= PAGE_ROWS:
                        yield Page(rows=rows, checkpoint=before, file=FileRead(name, digest))
                        rows = []
            except ImportRefused as exc:
                # Its pages read so far go with the sync's failure; files before it stay imported.
                raise ProviderError(f"{name}: {exc}", transient=False) from None
        read = reader.digest.hexdigest()
        yield Page(
            rows=rows,
            checkpoint={"done_files": sorted([*done_before, name])},
            file=FileRead(name, read if read == digest else None, complete=True),
        )
