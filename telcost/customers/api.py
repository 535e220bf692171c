"""JSON endpoints of the customers app (paths are absolute: the API is mounted at the root)."""

from ninja import Router

router = Router(tags=["customers"])
