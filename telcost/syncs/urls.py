"""Pages of the syncs app."""

from django.urls import path  # noqa: F401

app_name = "syncs"
urlpatterns: list = []
