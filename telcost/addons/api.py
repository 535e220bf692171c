"""JSON endpoints of the addons app (paths are absolute: the API is mounted at the root)."""

from ninja import Router

router = Router(tags=["addons"])
