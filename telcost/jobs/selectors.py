"""Reads of the jobs app: what the API and the live view show of a job."""

from django.db.models import Count, Q
from django.http import Http404

from telcost.accounts.access import RECALCULATE, VIEW, may
from telcost.jobs.kinds import job_month
from telcost.jobs.models import Job


def job_visible_to(*, user, job: Job) -> bool:
    if user.is_staff:
        return True
    if job.customer_id is not None:
        return may(user, VIEW, job.customer)
    return job.created_by_id == user.pk


def job_get_for_user(*, user, job_id: int) -> Job:
    """The job, or 404 whether it does not exist or is not the user's to see (no id probing)."""
    job = Job.objects.select_related("customer").filter(pk=job_id).first()
    if job is None or not job_visible_to(user=user, job=job):
        raise Http404("Job not found")
    return job


def job_may_operate(*, user, job: Job) -> bool:
    """Cancel or retry: staff, whoever started it, or whoever may recalculate its customer."""
    if user.is_staff or job.created_by_id == user.pk:
        return True
    return bool(job.customer_id and may(user, RECALCULATE, job.customer))


def job_progress(job: Job) -> dict:
    """Parts done, failed and cancelled of the total.

    A fan-out parent's parts are counted from its children: children cancelled with their parent
    end after it, so its own counters never saw them ("0/108" for a cancelled range).
    """
    counts = job.children.aggregate(
        n=Count("pk"),
        done=Count("pk", filter=Q(status__in=Job.DONE_STATES)),
        failed=Count("pk", filter=Q(status=Job.Status.FAILED)),
        cancelled=Count("pk", filter=Q(status=Job.Status.CANCELLED)),
    )
    if not counts["n"]:
        return {
            "done": job.progress_done,
            "failed": job.progress_failed,
            "cancelled": 0,
            "total": job.progress_total,
        }
    return {
        "done": counts["done"],
        "failed": counts["failed"],
        "cancelled": counts["cancelled"],
        "total": max(job.progress_total, counts["n"]),
    }


def job_as_dict(job: Job) -> dict:
    return {
        "id": job.pk,
        "kind": job.kind,
        "customer_id": job.customer_id,
        "status": job.status,
        "progress": job_progress(job),
        "steps": [
            {
                "name": s.name,
                "status": s.status,
                "attempts": s.attempts,
                "error": s.error,
                "progress": {"done": s.progress_done, "total": s.progress_total},
            }
            for s in job.steps.order_by("position")
        ],
        "failures": [
            {
                "id": c.pk,
                "customer": c.customer.name if c.customer_id else None,
                "month": job_month(c),
                "error": c.error,
            }
            # Cancelled parts are not failures: the progress counts them apart.
            for c in job.children.filter(status=Job.Status.FAILED)
            .select_related("customer")
            .order_by("pk")[:100]
        ],
        "error": job.error,
        "result": job.result,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
