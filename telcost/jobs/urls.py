from django.urls import path

from telcost.jobs import views

app_name = "jobs"
urlpatterns = [
    path("jobs/<int:job_id>/", views.job_page, name="page"),
    path("jobs/<int:job_id>/status", views.job_status_fragment, name="status"),
    path("jobs/<int:job_id>/cancel", views.job_cancel_view, name="cancel"),
    path("jobs/<int:job_id>/retry-failed", views.job_retry_failed_view, name="retry_failed"),
]
