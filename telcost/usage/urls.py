"""Pages of the usage app."""

from django.urls import path

from telcost.usage.views import admin_recalculate, cost_control, simulation, usage_page

app_name = "usage"
urlpatterns = [
    path("customers/<int:customer_id>/usage/", usage_page.usage_page, name="page"),
    path("customers/<int:customer_id>/usage/content", usage_page.usage_content, name="content"),
    path(
        "customers/<int:customer_id>/usage/recalculate",
        usage_page.usage_recalculate,
        name="recalculate",
    ),
    path(
        "customers/<int:customer_id>/usage/jobs/<int:job_id>",
        usage_page.usage_recalculate_status,
        name="recalculate_status",
    ),
    path("customers/<int:customer_id>/usage/diff", usage_page.usage_versions_diff, name="diff"),
    path(
        "customers/<int:customer_id>/reconciliation/",
        cost_control.reconciliation_page,
        name="reconciliation",
    ),
    path(
        "customers/<int:customer_id>/chargeback/", cost_control.chargeback_page, name="chargeback"
    ),
    path("customers/<int:customer_id>/simulation/", simulation.simulation_page, name="simulation"),
    path(
        "customers/<int:customer_id>/simulation/start",
        simulation.simulation_start,
        name="simulation_start",
    ),
    path(
        "customers/<int:customer_id>/simulation/jobs/<int:job_id>",
        simulation.simulation_status,
        name="simulation_status",
    ),
    path(
        "admin/syncs/recalculate-totals/",
        admin_recalculate.admin_recalculate,
        name="admin_recalculate",
    ),
]
