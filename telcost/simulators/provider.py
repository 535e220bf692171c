"""A stand-in for a provider's paged JSON CDR API (the http_api sync provider), for the demo and
tests.

GET /cdrs?month=YYYY-MM&page=N with "Authorization: Bearer <key>": keys starting
with "key-" are accounts, anything else is refused (401). POST /_control
{"mode": "ok"|"500"|"429"|"slow"|"malformed"|"refuse"|"loop", "times": n, "records": N, "page_size":
P,
"delay_s": D, "slow_s": S}: the mode holds for the next n calls (n omitted: until told otherwise);
every page waits delay_s (a sync that takes a while), "slow" waits slow_s (longer than a client's
timeout); "malformed" spoils the first records of the page in every way a provider has been seen to:
wrong values, a record that is not an object, a missing field, a nested value; "loop" answers
a page whose next_page points at itself. {"fail_after_pages": N} (null: never): after N pages
served, every later call answers 503, as a provider that went down in the middle of a sync.
state.asked lists the (month, page) of every call for records, in order.
"""

import os
import time
from urllib.parse import parse_qs, urlparse

import orjson

from telcost.simulators.base import JsonHandler, MisbehaviourState, serve_main, start_in_thread
from telcost.simulators.cdr_feed import feed_page


class ProviderState(MisbehaviourState):
    def reset(self) -> None:
        super().reset()
        self.records, self.page_size = int(os.environ.get("PROVIDER_SIMULATOR_RECORDS", "250")), 100
        self.delay_s = 0.0
        self.fail_after_pages: int | None = None
        self.pages_served = 0
        self.asked: list[tuple[str, int]] = []
        self.slow_s = float(os.environ.get("PROVIDER_SIMULATOR_SLOW_SECONDS", "20"))
        # A provider serves records it has stored; making them is the simulator's own cost (about
        # 100 ms a page of 5,000), not a provider's. So a page is made once and then kept, up to a
        # budget.
        self.store_limit_bytes = int(os.environ.get("PROVIDER_SIMULATOR_STORE_MB", "512")) * 2**20
        self.pages: dict[tuple, bytes] = {}
        self.pages_bytes = 0

    def stored_page(self, account: str, month: str, page: int) -> bytes:
        """The page's JSON as served before (same account, month, size of the month and page size),
        else made now."""
        with self.lock:
            ident = (account, month, self.records, self.page_size, page)
            data = self.pages.get(ident)
        if data is None:
            data = orjson.dumps(feed_page(account, month, ident[2], page, ident[3]))
            with self.lock:
                if (
                    self.pages_bytes + len(data) <= self.store_limit_bytes
                    and ident not in self.pages
                ):
                    self.pages[ident] = data
                    self.pages_bytes += len(data)
        return data


MALFORMED_RECORDS = 4


def spoil(records: list) -> list:
    """The first records of a page made unusable, each in its own way (see the module's
    docstring)."""
    spoiled = list(records)
    kinds = [
        lambda r: {**r, "started_at": "not a time", "record_type": "fax"},
        lambda r: "<record lost>",
        lambda r: {k: v for k, v in r.items() if k != "external_id"},
        lambda r: {**r, "duration_s": [1, 2]},
    ]
    for i, kind in enumerate(kinds[: len(spoiled)]):
        spoiled[i] = kind(spoiled[i])
    return spoiled


STATE = ProviderState()


class ProviderHandler(JsonHandler):
    state = STATE

    def do_POST(self) -> None:
        if self.path != "/_control":
            self.send_json(404, {"error": "not found"})
            return
        body = self.read_json() or {}
        with self.state.lock:
            if body.get("reset"):
                self.state.reset()
            self.state.mode, self.state.times = body.get("mode", "ok"), body.get("times")
            self.state.records = int(body.get("records", self.state.records))
            self.state.page_size = int(body.get("page_size", self.state.page_size))
            self.state.delay_s = float(body.get("delay_s", self.state.delay_s))
            self.state.slow_s = float(body.get("slow_s", self.state.slow_s))
            if "fail_after_pages" in body:
                after = body["fail_after_pages"]
                self.state.fail_after_pages = None if after is None else int(after)
                self.state.pages_served = 0
        self.send_json(200, {"mode": self.state.mode})

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path == "/_control":
            self.send_json(200, {"calls": self.state.calls, "mode": self.state.mode})
            return
        if url.path != "/cdrs":
            self.send_json(404, {"error": "not found"})
            return
        key = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        mode = self.state.next_mode()
        query = parse_qs(url.query)
        with self.state.lock:
            asked = ((query.get("month") or [""])[0], (query.get("page") or ["1"])[0])
            self.state.asked.append(asked)
            down = (
                self.state.fail_after_pages is not None
                and self.state.pages_served >= self.state.fail_after_pages
            )
        if down:
            self.send_json(503, {"error": "service unavailable"})
            return
        if mode == "refuse" or not key.startswith("key-"):
            self.send_json(401, {"error": "invalid credentials"})
            return
        if mode in ("500", "429"):
            self.send_json(int(mode), {"error": "try again later"})
            return
        if mode == "slow":
            time.sleep(self.state.slow_s)
        elif self.state.delay_s:
            time.sleep(self.state.delay_s)
        month = (query.get("month") or [""])[0]
        try:
            page = int((query.get("page") or ["1"])[0])
            if len(month) != 7 or page < 1:
                raise ValueError
        except ValueError:
            self.send_json(400, {"error": "month=YYYY-MM and page>=1 required"})
            return
        with self.state.lock:
            self.state.pages_served += 1
        if mode not in ("malformed", "loop"):
            self.send_json(200, None, raw=self.state.stored_page(key, month, page))
            return
        body = feed_page(key, month, self.state.records, page, self.state.page_size)
        if mode == "malformed":
            body["records"] = spoil(body["records"])
        if mode == "loop":
            body["next_page"] = page
        self.send_json(200, body)


def start_provider_simulator():
    """(base_url, state, stop) of a fresh simulator on an ephemeral port."""
    state = ProviderState()
    handler = type("ProviderTestHandler", (ProviderHandler,), {"state": state})
    base_url, stop = start_in_thread(handler)
    return base_url, state, stop


if __name__ == "__main__":
    serve_main(ProviderHandler, "CDR provider simulator")
