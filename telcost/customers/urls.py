"""Pages of the customers app: Customer menu → Cost centers; Admin → Rate plans."""

from django.urls import path

from telcost.customers import views

app_name = "customers"
urlpatterns = [
    path(
        "customers/<int:customer_id>/cost-centers/",
        views.cost_centers_page,
        name="cost_centers",
    ),
    path(
        "customers/<int:customer_id>/cost-centers/create",
        views.cost_center_add,
        name="cost_center_create",
    ),
    path(
        "customers/<int:customer_id>/cost-centers/devices",
        views.assign_devices,
        name="assign_devices",
    ),
    path(
        "customers/<int:customer_id>/cost-centers/assign",
        views.assignments_add,
        name="assign",
    ),
    path(
        "customers/<int:customer_id>/cost-centers/devices/<int:device_id>/",
        views.device_history,
        name="device_cost_centers",
    ),
    path("cost-centers/<int:cost_center_id>/rename", views.cost_center_edit, name="rename"),
    path("cost-centers/<int:cost_center_id>/delete", views.cost_center_remove, name="delete"),
    path("admin/rate-plans/", views.rate_plans_page, name="rate_plans"),
    path("admin/rate-plans/new", views.rate_plan_new, name="rate_plan_new"),
    path("admin/rate-plans/<slug:code>/", views.rate_plan_page, name="rate_plan"),
    path(
        "admin/rate-plans/<slug:code>/versions/new",
        views.rate_plan_version_new,
        name="rate_plan_version_new",
    ),
]
