"""The provider of a sync profile: the owner of SyncProfile picks the transport."""

from collections.abc import Callable

from telcost.integrations.providers.base import Provider, ProviderError
from telcost.integrations.providers.file_drop import FileDropProvider
from telcost.integrations.providers.http_api import DEFAULT_TIMEOUT_S, HttpApiProvider
from telcost.integrations.providers.routit import RoutitProvider
from telcost.syncs.credentials import credentials_decrypt


def provider_for(profile, *, nina_limiter: Callable[[], None] | None = None) -> Provider:
    """The profile's provider. nina_limiter: waits for a turn in the customer's Nina window,
    before each request of a provider that calls the Nina API (routit)."""
    if profile.provider == "file_drop":
        return FileDropProvider(path=profile.settings["path"])
    if profile.provider == "http_api":
        # Only a provider that needs credentials opens them; unreadable ones fail the sync
        # saying so.
        try:
            credentials = credentials_decrypt(profile.credentials_encrypted)
        except ValueError as exc:
            raise ProviderError(str(exc), transient=False) from None
        return HttpApiProvider(
            base_url=profile.settings["base_url"],
            api_key=credentials.get("api_key", ""),
            timeout_s=float(profile.settings.get("timeout_s", DEFAULT_TIMEOUT_S)),
        )
    if profile.provider == "routit":
        return RoutitProvider(
            customer_ref=profile.customer.external_ref or str(profile.customer_id),
            wait_for_slot=nina_limiter,
        )
    raise ProviderError(f"unknown provider {profile.provider!r}", transient=False)
