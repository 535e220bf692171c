"""Pages of the customers app."""

from django.urls import path  # noqa: F401

app_name = "customers"
urlpatterns: list = []
