from django.apps import AppConfig


class AddonsConfig(AppConfig):
    name = "telcost.addons"
    label = "addons"
