from django.apps import AppConfig


class SimulatorsConfig(AppConfig):
    name = "telcost.simulators"
    label = "simulators"
