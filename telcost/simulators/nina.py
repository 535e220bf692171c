"""A stand-in for Routit's Nina API (addons), for the demo and the tests.

Keeps addon state per customer, checks the API key, counts calls, and can be
told through POST /_control {"mode": ..., "times": n} to misbehave for the next
n calls (n omitted: until told otherwise). Modes:
- "ok"; "429"; "500": answers that status without doing anything;
- "slow": waits NINA_SIMULATOR_SLOW_SECONDS (default 15), then does the work and answers;
- "timeout_after_apply": does the work, then waits as "slow" before answering (the
  caller's timeout fires although the change was made);
- "garbage": does the work and answers 200 with a body that is not JSON.
GET /_control answers {"calls": n, "addons": {...}, "customer_calls": {ref: [times]}}.

Like a real provider with idempotency keys, a change is applied once per reference
(the body's `reference`, or the `Idempotency-Key` header): a repeat is answered with
the first answer, whatever the mode, and does nothing. GET /customers/{ref}/addons
answers what it holds: [{reference, addon, status}], one entry per applied change.
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
        # reference -> (status, body) of the first answer to a change with that reference
        self.answers: dict[str, tuple[int, dict]] = {}
        # customer ref -> times of every call about that customer (addons and CDRs alike)
        self.customer_calls: dict[str, list[float]] = {}

    def count_customer_call(self, ref: str) -> None:
        with self.lock:
            self.customer_calls.setdefault(ref, []).append(time.time())


STATE = NinaState()


def _slow_seconds() -> float:
    return float(os.environ.get("NINA_SIMULATOR_SLOW_SECONDS", "15"))


class NinaHandler(JsonHandler):
    state = STATE
    api_key = EXPECTED_KEY

    cdr_records = 120

    def _cdrs(self, ref: str) -> None:
        """Routit's CDRs of a customer: the same paged format as the provider simulator."""
        if self.headers.get("X-Api-Key") != self.api_key:
            self.send_json(401, {"error": "invalid api key"})
            return
        self.state.count_customer_call(ref)
        query = parse_qs(urlparse(self.path).query)
        month, page = (query.get("month") or [""])[0], (query.get("page") or ["1"])[0]
        if len(month) != 7 or not page.isdigit() or int(page) < 1:
            self.send_json(400, {"error": "month=YYYY-MM and page>=1 required"})
            return
        self.send_json(200, feed_page(f"routit-{ref}", month, self.cdr_records, int(page), 50))

    def _addons_list(self, ref: str) -> None:
        if self.headers.get("X-Api-Key") != self.api_key:
            self.send_json(401, {"error": "invalid api key"})
            return
        self.state.count_customer_call(ref)
        mode = self.state.next_mode()
        if mode in ("429", "500"):
            self.send_json(
                int(mode), {"error": "rate limited" if mode == "429" else "internal error"}
            )
            return
        if mode in ("slow", "timeout_after_apply"):
            time.sleep(_slow_seconds())
        with self.state.lock:
            entries = [
                {"reference": a["reference"], "addon": a["addon"], "status": a["status"]}
                for a in self.state.addons.get(ref, [])
            ]
        self.send_json(200, entries)

    def do_GET(self) -> None:
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) == 3 and parts[0] == "customers" and parts[2] == "cdrs":
            self._cdrs(parts[1])
            return
        if len(parts) == 3 and parts[0] == "customers" and parts[2] == "addons":
            self._addons_list(parts[1])
            return
        if self.path == "/_control":
            with self.state.lock:
                self.send_json(
                    200,
                    {
                        "calls": self.state.calls,
                        "call_times": self.state.call_times,
                        "addons": self.state.addons,
                        "mode": self.state.mode,
                        "customer_calls": self.state.customer_calls,
                    },
                )
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
        self.state.count_customer_call(parts[1])
        mode = self.state.next_mode()
        if mode == "429":
            self.send_json(429, {"error": "rate limited"})
            return
        if mode == "500":
            self.send_json(500, {"error": "internal error"})
            return
        if mode == "slow":
            time.sleep(_slow_seconds())
        if (
            body is None
            or body.get("action") not in ("activate", "cancel")
            or not body.get("addon")
        ):
            self.send_json(400, {"error": "addon and action (activate|cancel) required"})
            return
        status, answer = self._apply(
            parts[1], body, self.headers.get("Idempotency-Key") or body.get("reference")
        )
        if mode == "timeout_after_apply":
            time.sleep(_slow_seconds())
        if mode == "garbage" and status == 200:
            self.send_json(200, None, raw=b"<html>surprise</html>")
            return
        self.send_json(status, answer)

    def _apply(self, ref: str, body: dict, key: str | None) -> tuple[int, dict]:
        """The change, once per key: under the lock, so two deliveries of a key cannot both
        apply."""
        reference = key or f"anon-{uuid.uuid4().hex[:10]}"
        with self.state.lock:
            if key and key in self.state.answers:
                return self.state.answers[key]
            addons = self.state.addons.setdefault(ref, [])
            if body["action"] == "activate":
                entry = {
                    "reference": reference,
                    "id": f"NINA-{uuid.uuid4().hex[:10]}",
                    "addon": body["addon"],
                    "status": "active",
                }
                addons.append(entry)
                answer = dict(entry)
            else:
                active = [
                    a for a in addons if a["addon"] == body["addon"] and a["status"] == "active"
                ]
                if not active:
                    return 409, {"error": "no active addon of that type"}
                target = active[-1]
                target["status"] = "cancelled"
                addons.append(
                    {
                        "reference": reference,
                        "id": target["id"],
                        "addon": body["addon"],
                        "status": "cancelled",
                    }
                )
                answer = {
                    "reference": reference,
                    "id": target["id"],
                    "addon": body["addon"],
                    "status": "cancelled",
                }
            if key:
                self.state.answers[key] = (200, answer)
            return 200, answer


def start_nina_simulator(api_key: str = EXPECTED_KEY):
    """(base_url, state, stop) of a fresh simulator on an ephemeral port."""
    state = NinaState()
    handler = type("NinaTestHandler", (NinaHandler,), {"state": state, "api_key": api_key})
    base_url, stop = start_in_thread(handler)
    return base_url, state, stop


if __name__ == "__main__":
    serve_main(NinaHandler, "Nina API simulator")
