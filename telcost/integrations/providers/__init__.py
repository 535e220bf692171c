"""CDR providers behind one interface: `provider_for(profile).pages(cycle_start=, checkpoint=)`."""

from telcost.integrations.providers.base import Page, ProviderError, provider_for

__all__ = ["Page", "ProviderError", "provider_for"]
