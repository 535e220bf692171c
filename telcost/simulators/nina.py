"""A stand-in for Routit's Nina API (addons), for the demo and the tests.

Keeps addon state per customer, checks the API key, counts calls, and can be
told through POST /_control {"mode": "ok"|"429"|"500"|"slow"|"garbage", "times": n}
to misbehave for the next n calls (n omitted: until told otherwise).
GET /_control answers {"calls": n, "addons": {...}}.
"""

import os
import time
import uuid
from urllib.parse import parse_qs, urlparse

from telcost.simulators.base import JsonHandler, MisbehaviourState, serve_main, start_in_thread
from telcost.simulators.cdr_feed import feed_page

EXPECTED_KEY = os.environ.get("NINA_API_KEY", "nina-demo-key")


class NinaState(MisbehaviourState):
    def reset(self) -> None:
        super().reset()
        self.addons: dict[str, list[dict]] = {}


STATE = NinaState()


class NinaHandler(JsonHandler):
    state = STATE
    api_key = EXPECTED_KEY

    cdr_records = 120

    def _cdrs(self, ref: str) -> None:
        """Routit's CDRs of a customer: the same paged format as the provider simulator."""
        if self.headers.get("X-Api-Key") != self.api_key:
            self.send_json(401, {"error": "invalid api key"})
            return
        query = parse_qs(urlparse(self.path).query)
        month, page = (query.get("month") or [""])[0], (query.get("page") or ["1"])[0]
        if len(month) != 7 or not page.isdigit() or int(page) < 1:
            self.send_json(400, {"error": "month=YYYY-MM and page>=1 required"})
            return
        self.send_json(200, feed_page(f"routit-{ref}", month, self.cdr_records, int(page), 50))

    def do_GET(self) -> None:
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) == 3 and parts[0] == "customers" and parts[2] == "cdrs":
            self._cdrs(parts[1])
            return
        if self.path == "/_control":
            self.send_json(200, {"calls": self.state.calls, "call_times": self.state.call_times,
                                 "addons": self.state.addons, "mode": self.state.mode})
            return
        self.send_json(404, {"error": "not found"})

    def do_POST(self) -> None:
        body = self.read_json()
        if self.path == "/_control":
            if body is None:
                self.send_json(400, {"error": "bad json"})
                return
            with self.state.lock:
                if body.get("reset"):
                    self.state.reset()
                self.state.mode = body.get("mode", "ok")
                self.state.times = body.get("times")
            self.send_json(200, {"mode": self.state.mode})
            return
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "customers" or parts[2] != "addons":
            self.send_json(404, {"error": "not found"})
            return
        if self.headers.get("X-Api-Key") != self.api_key:
            self.send_json(401, {"error": "invalid api key"})
            return
        mode = self.state.next_mode()
        if mode == "429":
            self.send_json(429, {"error": "rate limited"})
            return
        if mode == "500":
            self.send_json(500, {"error": "internal error"})
            return
        if mode == "garbage":
            self.send_json(200, None, raw=b"<html>surprise</html>")
            return
        if mode == "slow":
            time.sleep(float(os.environ.get("NINA_SIMULATOR_SLOW_SECONDS", "15")))
        if body is None or body.get("action") not in ("activate", "cancel") or not body.get("addon"):
            self.send_json(400, {"error": "addon and action (activate|cancel) required"})
            return
        ref = parts[1]
        with self.state.lock:
            addons = self.state.addons.setdefault(ref, [])
            if body["action"] == "activate":
                entry = {"reference": f"NINA-{uuid.uuid4().hex[:10]}", "addon": body["addon"], "status": "active"}
                addons.append(entry)
            else:
                active = [a for a in addons if a["addon"] == body["addon"] and a["status"] == "active"]
                if not active:
                    self.send_json(409, {"error": "no active addon of that type"})
                    return
                entry = active[-1]
                entry["status"] = "cancelled"
        self.send_json(200, entry)


def start_nina_simulator(api_key: str = EXPECTED_KEY):
    """(base_url, state, stop) of a fresh simulator on an ephemeral port."""
    state = NinaState()
    handler = type("NinaTestHandler", (NinaHandler,), {"state": state, "api_key": api_key})
    base_url, stop = start_in_thread(handler)
    return base_url, state, stop


if __name__ == "__main__":
    serve_main(NinaHandler, "Nina API simulator")
