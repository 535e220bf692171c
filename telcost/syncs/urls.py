"""Pages of the syncs app."""

from django.urls import path

from telcost.syncs import views

app_name = "syncs"
urlpatterns = [
    path("customers/<int:customer_id>/sync-profiles/", views.profiles_page, name="profiles"),
    path("sync-profiles/<int:profile_id>/start", views.start_sync, name="start"),
    path("sync-tasks/<int:task_id>/status", views.task_status, name="task_status"),
]
