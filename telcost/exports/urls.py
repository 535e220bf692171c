"""Pages of the exports app."""

from django.urls import path

from telcost.exports import views

app_name = "exports"
urlpatterns = [
    path("admin/cost-centers/", views.cost_centers, name="cost_centers"),
    path(
        "admin/cost-centers/<int:customer_id>/",
        views.cost_center_details,
        name="cost_center_details",
    ),
    path("customers/<int:customer_id>/exports/start", views.export_start, name="start"),
    path("exports/<int:export_id>/status", views.export_status, name="status"),
]
