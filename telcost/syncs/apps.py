from django.apps import AppConfig


class SyncsConfig(AppConfig):
    name = "telcost.syncs"
    label = "syncs"
