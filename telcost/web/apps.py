from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "telcost.web"
    label = "web"
