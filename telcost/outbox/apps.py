from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "telcost.outbox"
    label = "outbox"
