from django.contrib import admin
from django.urls import include, path

from telcost.accounts.views import admin_login
from telcost.api import api

urlpatterns = [
    path("django-admin/login/", admin_login),  # before the admin's own: one throttled login page
    path("django-admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("telcost.web.urls")),
    path("", include("telcost.jobs.urls")),
    path("", include("telcost.usage.urls")),
    path("", include("telcost.addons.urls")),
    path("", include("telcost.syncs.urls")),
    path("", include("telcost.exports.urls")),
    path("", include("telcost.customers.urls")),
    path("", include("telcost.audit.urls")),
    path("", include("telcost.devices.urls")),
    path("", include("telcost.reports.urls")),
    path("", include("telcost.accounts.urls")),
    path("", include("telcost.alerts.urls")),
    path("", api.urls),
]

handler500 = "telcost.web.views.server_error"
