"""Pages of the customers app: Admin → Rate plans."""

from django.urls import path

from telcost.customers import views

app_name = "customers"
urlpatterns: list = [
    path("admin/rate-plans/", views.rate_plans_page, name="rate_plans"),
    path("admin/rate-plans/new", views.rate_plan_new, name="rate_plan_new"),
    path("admin/rate-plans/<slug:code>/", views.rate_plan_page, name="rate_plan"),
    path(
        "admin/rate-plans/<slug:code>/versions/new",
        views.rate_plan_version_new,
        name="rate_plan_version_new",
    ),
]
