"""Routit's Nina API: addons. Speaks the wire format; the rest of telcost sees typed results.

The API key travels in a header and is never logged nor put in an error message.
"""

from typing import Literal

from django.conf import settings
from pydantic import BaseModel, ConfigDict, ValidationError

from telcost.integrations.http import OutboundError, RateLimitedError, send


class NinaFailure(Exception):
    """The call failed; `rate_limited` tells "Too many requests" from "API failure"."""

    def __init__(self, message: str, *, rate_limited: bool = False, transient: bool = False) -> None:
        super().__init__(message)
        self.rate_limited = rate_limited
        self.transient = transient


class NinaAddonAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reference: str
    status: Literal["active", "cancelled"]


class NinaClient:
    def __init__(self, base_url: str | None = None, api_key: str | None = None, timeout: float | None = None) -> None:
        self.base_url = (base_url or settings.NINA_API_URL).rstrip("/")
        self.api_key = api_key if api_key is not None else settings.NINA_API_KEY
        self.timeout = timeout if timeout is not None else settings.NINA_API_TIMEOUT

    def change_addon(self, *, customer_ref: str, addon: str, action: Literal["activate", "cancel"]) -> NinaAddonAnswer:
        try:
            response = send(
                "POST",
                f"{self.base_url}/customers/{customer_ref}/addons",
                json={"addon": addon, "action": action},
                headers={"X-Api-Key": self.api_key},
                timeout=self.timeout,
            )
        except RateLimitedError:
            raise NinaFailure("Too many requests", rate_limited=True) from None
        except OutboundError as exc:
            raise NinaFailure(f"API failure: {exc}", transient=exc.transient) from None
        try:
            return NinaAddonAnswer.model_validate(response.json())
        except (ValueError, ValidationError):
            raise NinaFailure("API failure: the answer was not understood") from None
