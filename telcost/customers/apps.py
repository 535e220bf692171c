from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "telcost.customers"
    label = "customers"
