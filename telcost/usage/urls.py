"""Pages of the usage app."""

from django.urls import path

from telcost.usage import admin_views, views

app_name = "usage"
urlpatterns = [
    path("customers/<int:customer_id>/usage/", views.usage_page, name="page"),
    path("customers/<int:customer_id>/usage/content", views.usage_content, name="content"),
    path("customers/<int:customer_id>/usage/recalculate", views.usage_recalculate, name="recalculate"),
    path("customers/<int:customer_id>/usage/jobs/<int:job_id>", views.usage_recalculate_status, name="recalculate_status"),
    path("customers/<int:customer_id>/usage/diff", views.usage_versions_diff, name="diff"),
    path("admin/syncs/recalculate-totals/", admin_views.admin_recalculate, name="admin_recalculate"),
]
