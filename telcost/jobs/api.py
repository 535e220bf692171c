"""GET /api/jobs/{id}, and cancel / retry-failed for whoever may see the job's customer."""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from ninja import Router, Status

from telcost.core.api_schemas import Out, answers
from telcost.jobs.models import Job, Step
from telcost.jobs.selectors import job_as_dict, job_get_for_user, job_may_operate
from telcost.jobs.services import job_cancel, job_retry_failed

router = Router(tags=["jobs"])


class Progress(Out):
    done: int
    total: int


class JobProgress(Progress):
    failed: int
    cancelled: int  # a fan-out's parts cancelled (with it, or one by one); not among failures


class StepOut(Out):
    name: str
    status: Literal[tuple(Step.Status.values)]
    attempts: int
    error: str
    progress: Progress


class FailedChild(Out):
    id: int
    customer: str | None
    month: str
    error: str


class JobOut(Out):
    id: int
    kind: str
    customer_id: int | None
    status: Literal[tuple(Job.Status.values)]
    progress: JobProgress
    steps: list[StepOut]
    failures: list[FailedChild]
    error: str
    result: Any
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class RetriedJobOut(JobOut):
    retried: list[int]


@router.get("/api/jobs/{job_id}", response=answers({200: JobOut}, 404))
def job_detail(request, job_id: int):
    return job_as_dict(job_get_for_user(user=request.user, job_id=job_id))


def _may_operate(request, job) -> None:
    if not job_may_operate(user=request.user, job=job):
        raise PermissionDenied("Unauthorized")


@router.post("/api/jobs/{job_id}/cancel", response=answers({200: JobOut}, 403, 404))
def job_cancel_endpoint(request, job_id: int):
    job = job_get_for_user(user=request.user, job_id=job_id)
    _may_operate(request, job)
    return job_as_dict(job_cancel(job=job))


@router.post("/api/jobs/{job_id}/retry-failed", response=answers({202: RetriedJobOut}, 403, 404))
def job_retry_failed_endpoint(request, job_id: int):
    job = job_get_for_user(user=request.user, job_id=job_id)
    _may_operate(request, job)
    retried = job_retry_failed(job=job, created_by=request.user)
    job.refresh_from_db()
    return Status(202, {**job_as_dict(job), "retried": [j.pk for j in retried]})
