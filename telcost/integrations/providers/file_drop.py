"""file_drop: every *.csv in a folder, through the CDR CSV reader of the import service."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from telcost.integrations.providers.base import Page, Provider, ProviderError
from telcost.usage.imports import ImportRefused, csv_rows

PAGE_ROWS = 5000


class FileDropProvider(Provider):
    def __init__(self, *, path: str) -> None:
        self.path = Path(path)

    def pages(self, *, cycle_start: dt.date, checkpoint: dict) -> Iterator[Page]:
        if not self.path.is_dir():
            raise ProviderError(f"the drop folder {self.path} does not exist", transient=False)
        done_files = set(checkpoint.get("done_files", []))
        for file in sorted(self.path.glob("*.csv")):
            if file.name in done_files:
                continue
            skip_to = checkpoint.get("line", 0) if checkpoint.get("file") == file.name else 0
            rows: list = []
            try:
                with open(file, "rb") as stream:
                    for line, record in csv_rows(stream):
                        if line <= skip_to:
                            continue
                        rows.append((line, record))
                        if len(rows) >= PAGE_ROWS:
                            yield Page(rows=rows, checkpoint={"done_files": sorted(done_files), "file": file.name,
                                                              "line": line})
                            rows = []
            except ImportRefused as exc:
                yield Page(rows=rows, checkpoint={"done_files": sorted(done_files | {file.name})},
                           errors=[{"file": file.name, "reason": str(exc)}])
                done_files.add(file.name)
                continue
            done_files.add(file.name)
            yield Page(rows=rows, checkpoint={"done_files": sorted(done_files)})
