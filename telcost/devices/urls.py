"""Pages of the devices app. /devices/<id>/ ("devices:page") is the device's page other pages link
to."""

from django.urls import path

from telcost.devices import views

app_name = "devices"
urlpatterns = [
    path("customers/<int:customer_id>/devices/", views.inventory, name="inventory"),
    path("customers/<int:customer_id>/devices/add", views.add, name="add"),
    path("customers/<int:customer_id>/devices/import/", views.import_page, name="import"),
    path(
        "customers/<int:customer_id>/devices/import/<int:job_id>",
        views.import_status,
        name="import_status",
    ),
    path("devices/<int:device_id>/", views.device_page, name="page"),
    path("devices/<int:device_id>/edit", views.edit, name="edit"),
    path("devices/<int:device_id>/deactivate", views.deactivate, name="deactivate"),
]
