"""Pages of the addons app."""

from django.urls import path

from telcost.addons import views

app_name = "addons"
urlpatterns = [
    path("admin/sim-cards/simacties/", views.simacties, name="simacties"),
    path("admin/sim-cards/simacties/submit", views.simacties_submit, name="submit"),
    path(
        "admin/sim-cards/simacties/<int:customer_id>/overview",
        views.simacties_overview,
        name="overview",
    ),
    path("admin/sim-cards/simacties/jobs/<int:job_id>", views.simacties_result, name="result"),
]
