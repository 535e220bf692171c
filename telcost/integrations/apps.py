from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "telcost.integrations"
    label = "integrations"
