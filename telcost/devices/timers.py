"""The worker side removes stored device imports nothing needs any more."""

from telcost.core.timers import every
from telcost.devices.services import device_imports_sweep


@every(3600, name="devices.imports_sweep")
def sweep_device_imports() -> None:
    device_imports_sweep()
