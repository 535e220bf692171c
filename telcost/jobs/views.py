"""The live view of a job: a page, the fragment htmx polls until the job ends, cancel and retry."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_POST

from telcost.core.page import page_customer_set
from telcost.jobs.selectors import job_as_dict, job_get_for_user, job_may_operate
from telcost.jobs.services import job_cancel, job_retry_failed


def _fragment(request, job, *, actions: bool):
    return render(request, "jobs/_job_status.html", {"job": job_as_dict(job), "actions": actions})


@login_required
def job_page(request, job_id: int):
    job = job_get_for_user(user=request.user, job_id=job_id)
    if job.customer_id:
        page_customer_set(request, job.customer)
    return render(
        request,
        "jobs/job_page.html",
        {"job": job_as_dict(job), "actions": job_may_operate(user=request.user, job=job)},
    )


@login_required
def job_status_fragment(request, job_id: int):
    job = job_get_for_user(user=request.user, job_id=job_id)
    return _fragment(
        request,
        job,
        actions=request.GET.get("actions") == "1" and job_may_operate(user=request.user, job=job),
    )


@login_required
@require_POST
def job_cancel_view(request, job_id: int):
    job = job_get_for_user(user=request.user, job_id=job_id)
    if not job_may_operate(user=request.user, job=job):
        raise PermissionDenied
    return _fragment(request, job_cancel(job=job), actions=True)


@login_required
@require_POST
def job_retry_failed_view(request, job_id: int):
    job = job_get_for_user(user=request.user, job_id=job_id)
    if not job_may_operate(user=request.user, job=job):
        raise PermissionDenied
    job_retry_failed(job=job, created_by=request.user)
    job.refresh_from_db()
    return _fragment(request, job, actions=True)
