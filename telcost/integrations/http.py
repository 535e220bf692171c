"""The one way telcost calls other systems over HTTP: explicit timeouts, and a clear split
between failures worth retrying (timeouts, connection errors, 5xx, 429) and the rest."""

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


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
        with httpx.Client(timeout=timeout) as client:
            response = client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise TransientOutboundError("timeout") from None
    except httpx.TransportError as exc:
        raise TransientOutboundError(f"connection failed ({type(exc).__name__})") from None
    if response.is_success:
        return response
    detail = f"HTTP {response.status_code}"
    if response.status_code == 429:
        raise RateLimitedError("Too many requests", status=429)
    if response.status_code >= 500:
        raise TransientOutboundError(detail, status=response.status_code)
    raise PermanentOutboundError(detail, status=response.status_code)
