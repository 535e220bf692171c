"""Routit's Nina API: addons. Speaks the wire format; the rest of telcost sees typed results.

The API key travels in a header and is never logged nor put in an error message.
Every change carries telcost's reference, in the body and as the Idempotency-Key
header: Nina applies a reference once and answers a repeat with its first answer.
"""

import logging
from typing import Literal
from urllib.parse import quote

from django.conf import settings
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from telcost.integrations.http import OutboundError, RateLimitedError, send

logger = logging.getLogger("telcost.integrations")

# How much of an unreadable answer is kept for the log: enough to recognise it.
EXCERPT_BYTES = 200


class NinaFailure(Exception):
    """The call failed; `rate_limited` tells "Too many requests" from "API failure".

    `unknown_outcome`: the request may have reached Nina and been applied (a timeout or a
    broken connection after sending): only reading Nina's addons tells.
    """

    def __init__(
        self,
        message: str,
        *,
        rate_limited: bool = False,
        transient: bool = False,
        unknown_outcome: bool = False,
    ) -> None:
        super().__init__(message)
        self.rate_limited = rate_limited
        self.transient = transient
        self.unknown_outcome = unknown_outcome


class NinaAddonAnswer(BaseModel):
    """Nina's answer to a change.

    `unreadable`: the first bytes of a 2xx whose body could not be read. A 2xx is done (SPEC),
    so such an answer is still a success; only Nina's id for the addon is unknown.
    """

    model_config = ConfigDict(extra="ignore")

    reference: str
    status: Literal["active", "cancelled"]
    id: str = ""
    unreadable: str = ""


class NinaAddon(BaseModel):
    """One entry of Nina's view of a customer's addons: the change a reference made."""

    model_config = ConfigDict(extra="ignore")

    reference: str
    addon: str
    status: Literal["active", "cancelled"]


_ADDONS = TypeAdapter(list[NinaAddon])


def _excerpt(content: bytes) -> str:
    return repr(content[:EXCERPT_BYTES])


class NinaClient:
    def __init__(
        self, base_url: str | None = None, api_key: str | None = None, timeout: float | None = None
    ) -> None:
        self.base_url = (base_url or settings.NINA_API_URL).rstrip("/")
        self.api_key = api_key if api_key is not None else settings.NINA_API_KEY
        self.timeout = timeout if timeout is not None else settings.NINA_API_TIMEOUT

    def _send(self, method: str, path: str, **kwargs):
        try:
            return send(method, f"{self.base_url}{path}", timeout=self.timeout, **kwargs)
        except RateLimitedError:
            raise NinaFailure("Too many requests", rate_limited=True) from None
        except OutboundError as exc:
            logger.warning("Nina %s %s failed: %s", method, path, exc.detail)
            # Without a status nothing was answered: the request may have been applied all the same.
            raise NinaFailure(
                f"API failure: {exc}", transient=exc.transient, unknown_outcome=exc.status is None
            ) from None

    def change_addon(
        self,
        *,
        customer_ref: str,
        addon: str,
        action: Literal["activate", "cancel"],
        reference: str,
    ) -> NinaAddonAnswer:
        response = self._send(
            "POST",
            f"/customers/{quote(customer_ref, safe='')}/addons",
            json={"addon": addon, "action": action, "reference": reference},
            headers={"X-Api-Key": self.api_key, "Idempotency-Key": reference},
        )
        try:
            return NinaAddonAnswer.model_validate(response.json())
        except (ValueError, ValidationError):
            status = "active" if action == "activate" else "cancelled"
            return NinaAddonAnswer(
                reference=reference, status=status, unreadable=_excerpt(response.content)
            )

    def list_addons(self, *, customer_ref: str) -> list[NinaAddon]:
        """Nina's view of the customer's addons: what each reference it applied did."""
        response = self._send(
            "GET",
            f"/customers/{quote(customer_ref, safe='')}/addons",
            headers={"X-Api-Key": self.api_key},
        )
        try:
            return _ADDONS.validate_json(response.content)
        except ValidationError:
            raise NinaFailure(
                f"API failure: the list of addons was not understood: {_excerpt(response.content)}",
                transient=True,
            ) from None
