from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "telcost.usage"
    label = "usage"
