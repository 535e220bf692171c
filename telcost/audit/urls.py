"""Pages of the audit app."""

from django.urls import path

from telcost.audit import views

app_name = "audit"
urlpatterns = [
    path("customers/<int:customer_id>/audit/", views.audit_page, name="log"),
]
