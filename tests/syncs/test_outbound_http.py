"""The outbound HTTP wrapper under a sync's load: a page's body is freed as soon as it is
dropped."""

import gc
import time
import weakref

import pytest

from telcost.integrations.http import TransientOutboundError, send


def test_a_read_response_is_freed_without_the_cyclic_collector(provider_sim):
    provider_sim.control(records=500, page_size=500)
    gc.disable()  # only reference counting: what a long sync between two collections relies on
    try:
        response = send(
            "GET",
            f"{provider_sim.base_url}/cdrs",
            params={"month": "2026-09", "page": 1},
            headers={"Authorization": "Bearer key-x"},
        )
        assert len(response.json()["records"]) == 500
        alive = weakref.ref(response)
        del response
        assert alive() is None, (
            "the response (and its megabytes of body) waits for the garbage collector"
        )
    finally:
        gc.enable()


def test_a_public_only_request_goes_to_the_checked_address_with_the_hosts_name(monkeypatch):
    """The address is resolved once, checked and connected to; the server still sees its own name.

    The network here has only loopback, so the name's DNS answer and the address's standing as
    public are given for this test; the request itself travels over real HTTP.
    """
    import socket as socket_module

    from telcost.integrations import http
    from telcost.simulators.base import JsonHandler, start_in_thread

    seen = []

    class Recorder(JsonHandler):
        def do_GET(self):
            seen.append((self.headers["Host"], self.path))
            self.send_json(200, {"ok": True})

    base_url, stop = start_in_thread(Recorder)
    port = int(base_url.rsplit(":", 1)[1])
    lookups = []
    real_getaddrinfo = socket_module.getaddrinfo

    def dns(host, *args, **kwargs):
        lookups.append(host)
        if host != "cdr.provider.example":  # the address itself, as the connection looks it up
            return real_getaddrinfo(host, *args, **kwargs)
        return [(socket_module.AF_INET, socket_module.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(http.socket, "getaddrinfo", dns)
    monkeypatch.setattr(http, "_is_public", lambda address: address == "127.0.0.1")
    try:
        response = http.send(
            "GET",
            f"http://cdr.provider.example:{port}/v1/cdrs",
            params={"page": 2},
            public_only=True,
        )
    finally:
        stop()
    assert response.json() == {"ok": True}
    # Resolved once: the address checked is the one connected to.
    assert lookups.count("cdr.provider.example") == 1
    assert set(lookups) <= {"cdr.provider.example", "127.0.0.1"}, lookups
    assert seen == [(f"cdr.provider.example:{port}", "/v1/cdrs?page=2")]


def test_addresses_that_are_not_public():
    from telcost.integrations.http import _is_public

    for address in (
        "127.0.0.1",
        "10.0.0.1",
        "172.31.255.255",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1%eth0",
        "fd12::1",
        "::ffff:10.0.0.1",
        "::",
    ):
        assert not _is_public(address), address
    for address in ("93.184.215.14", "8.8.8.8", "2a00:1450:4001:830::200e"):
        assert _is_public(address), address


def test_a_deadline_bounds_a_body_that_trickles_in():
    """httpx's timeouts hold for each read: a server sending a byte every 0.3 s would keep a call
    open for as long as it likes. With deadline_s the whole answer must have arrived in time."""
    from telcost.simulators.base import JsonHandler, start_in_thread

    class Trickle(JsonHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "20")
            self.end_headers()
            for _ in range(20):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.3)

    base_url, stop = start_in_thread(Trickle)
    try:
        started = time.monotonic()
        with pytest.raises(TransientOutboundError) as refused:
            send("GET", base_url, timeout=2.0, deadline_s=1.0)
        assert time.monotonic() - started < 2.5 and str(refused.value) == "timeout"
        # Without one, the same call waits for the whole body (each byte is within the timeout).
        started = time.monotonic()
        assert send("GET", base_url, timeout=2.0).content == b" " * 20
        assert time.monotonic() - started > 5
    finally:
        stop()
