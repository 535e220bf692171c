"""The usage app's step handlers, split by workflow; importing registers them."""

from telcost.usage.imports import steps as import_steps  # noqa: F401
from telcost.usage.recalculation import steps as recalculation_steps  # noqa: F401
