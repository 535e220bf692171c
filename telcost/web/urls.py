from django.contrib.auth import views as auth_views
from django.urls import path

from telcost.accounts.views import LoginView
from telcost.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("overview/", views.overview, name="overview"),
    path(
        "partners/<int:partner_id>/overview/",
        views.partner_overview_page,
        name="partner_overview",
    ),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("switch-customer/", views.switch_customer, name="switch_customer"),
]
