from django.apps import AppConfig


class DevicesConfig(AppConfig):
    """The device inventory's pages, API and bulk import (no tables: Device is the customers
    app's)."""

    name = "telcost.devices"
    label = "devices"
