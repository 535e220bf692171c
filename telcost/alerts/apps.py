from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "telcost.alerts"
    label = "alerts"
