"""Worker timers of the addons app."""

from telcost.core.timers import every


@every(30, name="addons.settle_unknown_outcomes")
def _settle_unknown_outcomes() -> None:
    from telcost.addons.services import addon_outcomes_settle

    # A minute's grace: a provider that was slow to answer is often slow to apply.
    addon_outcomes_settle(older_than_s=60)
