"""The one way telcost calls other systems over HTTP: explicit timeouts, and a clear split
between failures worth retrying (timeouts, connection errors, 5xx, 429) and the rest."""

import functools
import ssl

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default verification, built once: loading the CA bundle cost ~40 ms a call (half a page's fetch)."""
    return httpx.create_ssl_context()


class OutboundError(Exception):
    """A call that did not give a usable answer. `status` is the HTTP status, if any."""

    transient = False

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransientOutboundError(OutboundError):
    transient = True


class RateLimitedError(TransientOutboundError):
    pass


class PermanentOutboundError(OutboundError):
    pass


def send(method: str, url: str, *, timeout: httpx.Timeout | float = DEFAULT_TIMEOUT, **kwargs) -> httpx.Response:
    """Send a request; a 2xx answer is returned, anything else raised as an OutboundError."""
    try:
        with httpx.Client(timeout=timeout, verify=_ssl_context()) as client:
            response = client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise TransientOutboundError("timeout") from None
    except httpx.TransportError as exc:
        raise TransientOutboundError(f"connection failed ({type(exc).__name__})") from None
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
