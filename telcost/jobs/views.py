"""The live view of a job: a page, and the fragment htmx polls until the job ends."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from telcost.jobs.selectors import job_as_dict, job_get_for_user


@login_required
def job_page(request, job_id: int):
    job = job_get_for_user(user=request.user, job_id=job_id)
    return render(request, "jobs/job_page.html", {"job": job_as_dict(job)})


@login_required
def job_status_fragment(request, job_id: int):
    job = job_get_for_user(user=request.user, job_id=job_id)
    return render(request, "jobs/_job_status.html", {"job": job_as_dict(job)})
