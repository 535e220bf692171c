"""Pages of the syncs app."""

from django.urls import path

from telcost.syncs import views

app_name = "syncs"
urlpatterns = [
    path("customers/<int:customer_id>/sync-profiles/", views.profiles_page, name="profiles"),
    path("customers/<int:customer_id>/sync-profiles/new", views.profile_new, name="new"),
    path("sync-profiles/<int:profile_id>/edit", views.profile_edit, name="edit"),
    path("sync-profiles/<int:profile_id>/active", views.profile_active, name="active"),
    path("sync-profiles/<int:profile_id>/delete", views.profile_delete, name="delete"),
    path("sync-profiles/<int:profile_id>/test", views.profile_test, name="test"),
    path("sync-profiles/schedule-preview", views.schedule_preview_fragment, name="preview"),
    path("sync-profiles/<int:profile_id>/start", views.start_sync, name="start"),
    path("sync-tasks/<int:task_id>/status", views.task_status, name="task_status"),
]
