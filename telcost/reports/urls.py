"""Pages of the reports app: the forms of My account's "Monthly reports"."""

from django.urls import path

from telcost.reports import views

app_name = "reports"
urlpatterns = [
    path("account/reports/", views.subscribe, name="subscribe"),
    path("account/reports/<int:subscription_id>/", views.change, name="change"),
]
