"""The usage app's step handlers, split by workflow; importing registers them."""

from telcost.usage import import_steps, recalculation_steps  # noqa: F401
