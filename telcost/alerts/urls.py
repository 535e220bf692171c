"""Customer menu → Alerts: the month's fired alerts and the alert rules."""

from django.urls import path

from telcost.alerts import views

app_name = "alerts"
urlpatterns = [
    path("customers/<int:customer_id>/alerts/", views.alerts_page, name="page"),
    path("customers/<int:customer_id>/alerts/rules/new", views.alert_rule_add, name="rule_add"),
    path(
        "customers/<int:customer_id>/alerts/rules/<int:rule_id>/",
        views.alert_rule_edit,
        name="rule_edit",
    ),
    path(
        "customers/<int:customer_id>/alerts/rules/<int:rule_id>/delete",
        views.alert_rule_remove,
        name="rule_delete",
    ),
]
