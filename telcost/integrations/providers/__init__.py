"""CDR providers behind one interface: `provider.pages(cycle_start=, checkpoint=)` (syncs.providers
picks one)."""

from telcost.integrations.providers.base import Page, ProviderError

__all__ = ["Page", "ProviderError"]
