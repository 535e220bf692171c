from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "telcost.exports"
    label = "exports"
