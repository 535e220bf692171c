"""The one way telcost calls other systems over HTTP: explicit timeouts, and a clear split
between failures worth retrying (timeouts, connection errors, 5xx, 429) and the rest."""

import functools
import ipaddress
import socket
import ssl
import time

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default verification, built once: loading the CA bundle cost ~40 ms a call (half a
    page's fetch)."""
    return httpx.create_ssl_context()


class OutboundError(Exception):
    """A call that did not give a usable answer. `status` is the HTTP status, if any."""

    transient = False

    def __init__(self, message: str, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        # What went wrong on the wire, for the log only: shown to users, a connection refused
        # against a connection hung up would map the network behind the URL.
        self.detail = detail or message


class TransientOutboundError(OutboundError):
    transient = True


class RateLimitedError(TransientOutboundError):
    pass


class PermanentOutboundError(OutboundError):
    pass


class RefusedAddressError(PermanentOutboundError):
    """The URL's host is, or resolves to, an address telcost does not call (see public_address)."""


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0) is no part
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global: not loopback, private, link-local (169.254/16: cloud metadata), shared (100.64/10),
    # unspecified or reserved.
    return ip.is_global and not ip.is_multicast


def public_address(host: str, port: int) -> str:
    """The address to connect to for host: every address it resolves to must be public.

    RefusedAddressError if one is not (a name that mixes public and internal answers is refused
    whole); TransientOutboundError if it does not resolve (DNS may be back later).
    """
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TransientOutboundError(
            "connection failed (name)", detail=f"{host} does not resolve: {exc}"
        ) from None
    addresses = [answer[4][0] for answer in answers]
    internal = [address for address in addresses if not _is_public(address)]
    if internal or not addresses:
        refused = ", ".join(internal)
        raise RefusedAddressError(
            "address refused", detail=f"{host} resolves to {refused}: not a public address"
        )
    return addresses[0]


def _pinned(url: str, kwargs: dict) -> tuple[httpx.URL, dict]:
    """The URL with its host replaced by the checked address, so the connection goes exactly
    there (a second lookup could answer otherwise: DNS rebinding). Host header and TLS name
    stay the host's."""
    parsed = httpx.URL(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    address = public_address(parsed.host, port)
    headers = {**(kwargs.get("headers") or {}), "Host": parsed.netloc.decode("ascii")}
    extensions = {**(kwargs.get("extensions") or {}), "sni_hostname": parsed.host}
    return parsed.copy_with(host=address), {**kwargs, "headers": headers, "extensions": extensions}


class _Deadline(httpx.SyncByteStream):
    """A body that stops arriving at a moment: httpx's timeouts hold for each read, so a server
    sending a byte now and then would keep the call open without one."""

    def __init__(self, stream, deadline: float) -> None:
        self.stream, self.deadline = stream, deadline

    def __iter__(self):
        for chunk in self.stream:
            if time.monotonic() > self.deadline:
                raise httpx.ReadTimeout("the answer did not arrive in time")
            yield chunk

    def close(self) -> None:
        self.stream.close()


def _request(client: httpx.Client, method: str, url, deadline_s: float | None, **kwargs):
    if deadline_s is None:
        return client.request(method, url, **kwargs)
    deadline = time.monotonic() + deadline_s
    response = client.send(client.build_request(method, url, **kwargs), stream=True)
    try:
        response.stream = _Deadline(response.stream, deadline)
        response.read()
    finally:
        response.close()
    return response


def send(
    method: str,
    url: str,
    *,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    public_only: bool = False,
    deadline_s: float | None = None,
    **kwargs,
) -> httpx.Response:
    """Send a request; a 2xx answer is returned, anything else raised as an OutboundError.

    public_only: the host is resolved and checked here, and the request sent to that address
    (for URLs that staff typed, which must not reach the internal network). Redirects are
    never followed, so an answer cannot send the request elsewhere.
    deadline_s: the body must have arrived this many seconds after the request went out (a
    timeout otherwise), whatever the pace of its bytes; with `timeout` (each connect and read)
    it bounds the whole call.
    """
    target = url
    if public_only:
        target, kwargs = _pinned(url, kwargs)
    try:
        with httpx.Client(timeout=timeout, verify=_ssl_context()) as client:
            response = _request(client, method, target, deadline_s, **kwargs)
    except httpx.TimeoutException as exc:
        raise TransientOutboundError("timeout", detail=f"{type(exc).__name__}: {exc}") from None
    except httpx.TransportError as exc:
        # One text whatever the cause: the class (ConnectError against RemoteProtocolError) would
        # tell a reader a closed port from an open one. The detail is for the log.
        raise TransientOutboundError(
            "connection failed", detail=f"{type(exc).__name__}: {exc}"
        ) from None
    # httpx's response and its stream refer to each other, so each body (a provider's page is
    # megabytes) would wait for the cyclic garbage collector: a sync of a million CDRs peaked at
    # 357 MB. The response is read and closed; its content is all the stream it needs.
    response.stream = httpx.ByteStream(response.content)
    if response.is_success:
        return response
    detail = f"HTTP {response.status_code}"
    if response.status_code == 429:
        raise RateLimitedError("Too many requests", status=429)
    if response.status_code >= 500:
        raise TransientOutboundError(detail, status=response.status_code)
    raise PermanentOutboundError(detail, status=response.status_code)
