"""Shared plumbing of the simulators: a threaded stdlib HTTP server, JSON in and out.

Each simulator is runnable as `python -m telcost.simulators.<name> --port P`
(make demo does that) and startable in-process on an ephemeral port from tests.
"""

import argparse
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson


class MisbehaviourState:
    """What a simulator has been told to do: a mode ("ok", "500", …) for the next `times` calls."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.mode, self.times, self.calls = "ok", None, 0
        self.call_times: list[float] = []

    def next_mode(self) -> str:
        """Count a call and say how to answer it; the mode returns to "ok" once its times are
        used."""
        with self.lock:
            self.calls += 1
            self.call_times.append(time.time())
            mode = self.mode
            if self.times is not None:
                self.times -= 1
                if self.times <= 0:
                    self.mode, self.times = "ok", None
            return mode


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # noqa: A002 - the stdlib's signature
        pass  # quiet: tests and the demo do not want a line per request

    def read_json(self) -> dict | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            value = json.loads(raw or b"{}")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def send_json(self, status: int, body, *, raw: bytes | None = None) -> None:
        # orjson: a simulated provider serving a million records must not cost more than their
        # import.
        data = raw if raw is not None else orjson.dumps(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def start_in_thread(
    handler_class: type[BaseHTTPRequestHandler], *, port: int = 0
) -> tuple[str, Callable[[], None]]:
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_class)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_address[1]}", stop


def serve_main(handler_class: type[BaseHTTPRequestHandler], description: str) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_class)
    server.daemon_threads = True
    print(f"{description} on http://127.0.0.1:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
