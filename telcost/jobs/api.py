"""GET /api/jobs/{id}, and cancel / retry-failed for whoever may see the job's customer."""

from django.core.exceptions import PermissionDenied
from ninja import Router, Status

from telcost.jobs.selectors import job_as_dict, job_get_for_user, job_may_operate
from telcost.jobs.services import job_cancel, job_retry_failed

router = Router(tags=["jobs"])


@router.get("/api/jobs/{job_id}")
def job_detail(request, job_id: int):
    return job_as_dict(job_get_for_user(user=request.user, job_id=job_id))


def _may_operate(request, job) -> None:
    if not job_may_operate(user=request.user, job=job):
        raise PermissionDenied("Unauthorized")


@router.post("/api/jobs/{job_id}/cancel")
def job_cancel_endpoint(request, job_id: int):
    job = job_get_for_user(user=request.user, job_id=job_id)
    _may_operate(request, job)
    return job_as_dict(job_cancel(job=job))


@router.post("/api/jobs/{job_id}/retry-failed", response={202: dict})
def job_retry_failed_endpoint(request, job_id: int):
    job = job_get_for_user(user=request.user, job_id=job_id)
    _may_operate(request, job)
    retried = job_retry_failed(job=job, created_by=request.user)
    job.refresh_from_db()
    return Status(202, {**job_as_dict(job), "retried": [j.pk for j in retried]})
