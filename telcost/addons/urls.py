"""Pages of the addons app."""

from django.urls import path  # noqa: F401

app_name = "addons"
urlpatterns: list = []
