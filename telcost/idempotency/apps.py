from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "telcost.idempotency"
    label = "idempotency"
