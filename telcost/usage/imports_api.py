"""POST /api/customers/{id}/cdr-imports (the CDR CSV upload)."""

from ninja import Router

router = Router(tags=["imports"])
