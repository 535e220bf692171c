from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "telcost.accounts"
    label = "accounts"
