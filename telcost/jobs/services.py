"""Writes of the jobs app: dispatch a chain, a fan-out, cancel, retry.

These are the only functions the rest of telcost uses to queue work. Each runs in
the caller's transaction (or its own): the Job, its Steps and the first task row
commit together or not at all.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from telcost.jobs.hotpath import job_reacted as hotpath_reacted
from telcost.jobs.kinds import Dispatched, JobKind, JobParams, job_params, kind_of, registered_kinds
from telcost.jobs.models import Job, Step
from telcost.jobs.queue import enqueue_step
from telcost.jobs.registry import get_step


@dataclass
class StepSpec:
    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChildSpec:
    """One child of a fan-out: a chain of its own, usually for one customer-month."""

    kind: JobKind
    steps: list[StepSpec]
    customer: Any = None
    params: JobParams | None = None
    dedupe_key: str | None = None
    lock_key: str = ""


def _params_json(kind: JobKind, params: JobParams | None) -> dict:
    """The stored params; a kind that is not registered or params of another type are
    programming errors: they fail before anything is written."""
    if registered_kinds().get(kind.name) is not kind:
        raise LookupError(f"the job kind {kind.name!r} is not registered (jobs.kinds.register)")
    if params is None:
        return {}
    if not isinstance(params, kind.params):
        raise TypeError(
            f"a {kind.name!r} job takes {kind.params.__name__}, not {type(params).__name__}"
        )
    return params.to_json()


def _create_job(
    *,
    kind: JobKind,
    steps: list[StepSpec],
    customer,
    created_by,
    params: dict,
    dedupe_key: str | None,
    lock_key: str,
    parent: Job | None,
) -> Job:
    for spec in steps:
        get_step(spec.name)  # an unknown step name is a programming error: fail before writing
    job = Job.objects.create(
        kind=kind.name,
        customer=customer,
        created_by=created_by if getattr(created_by, "pk", None) else None,
        params=params,
        dedupe_key=dedupe_key,
        lock_key=lock_key,
        parent=parent,
        progress_total=len(steps),
    )
    created = Step.objects.bulk_create(
        [
            Step(
                job=job,
                position=i,
                name=spec.name,
                params=spec.params,
                max_attempts=get_step(spec.name).max_attempts,
            )
            for i, spec in enumerate(steps)
        ]
    )
    if created:
        enqueue_step(created[0])  # both databases return the new rows' ids
    else:
        # A chain with no steps has nothing to do.
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.COMPLETED, finished_at=timezone.now()
        )
        job.refresh_from_db()
    return job


def job_dispatch[P: JobParams](
    *,
    kind: JobKind[P],
    steps: list[StepSpec],
    customer=None,
    created_by=None,
    params: P | None = None,
    dedupe_key: str | None = None,
    lock_key: str = "",
    parent: Job | None = None,
    joinable: Callable[[Job], bool] | None = None,
    overflow_key: str | None = None,
) -> Dispatched:
    """Write a Job with its steps and queue the first one.

    With a dedupe_key, a job with that key that is still pending or running is
    returned instead (joined). The database's partial
    unique index decides, so two concurrent requests cannot both create one.
    If `joinable` says that job cannot do this request's work (it is too far along),
    the same is tried with `overflow_key` (so such requests share one job after it),
    and then the new job is written without a key. Either way it takes turns with the
    keyed job through the lock key, and later requests still join the keyed job.
    """
    stored = _params_json(kind, params)
    with transaction.atomic():
        for _ in range(5):
            if dedupe_key:
                existing = Job.objects.filter(dedupe_key=dedupe_key, status__in=Job.ACTIVE).first()
                if existing is not None and joinable is not None and not joinable(existing):
                    dedupe_key, overflow_key = overflow_key, None
                    continue
                if existing is not None:
                    return Dispatched(existing, joined=True)
            create = partial(
                _create_job,
                kind=kind,
                steps=steps,
                customer=customer,
                created_by=created_by,
                params=stored,
                dedupe_key=dedupe_key,
                lock_key=lock_key,
                parent=parent,
            )
            if not dedupe_key:
                return Dispatched(create(), joined=False)  # nothing to collide with
            try:
                # A savepoint: the unique index may refuse the insert, and the read is retried.
                with transaction.atomic():
                    return Dispatched(create(), joined=False)
            except IntegrityError:
                if not dedupe_key:
                    raise
                # Another request created the job between our read and our insert: go read it.
        raise RuntimeError(f"could not dispatch or join a job for {dedupe_key!r}")


def job_dispatch_fanout[P: JobParams](
    *,
    kind: JobKind[P],
    children: list[ChildSpec],
    customer=None,
    created_by=None,
    params: P | None = None,
    dedupe_key: str | None = None,
) -> Dispatched:
    """One parent job and one child job per spec; the parent ends when the last child does.

    A child whose dedupe_key is already held by an active job follows that job
    instead of doing the work twice.
    """
    stored = _params_json(kind, params)
    with transaction.atomic():
        if dedupe_key:
            existing = Job.objects.filter(dedupe_key=dedupe_key, status__in=Job.ACTIVE).first()
            if existing is not None:
                return Dispatched(existing, joined=True)
        parent = Job.objects.create(
            kind=kind.name,
            customer=customer,
            created_by=created_by if getattr(created_by, "pk", None) else None,
            params=stored,
            dedupe_key=dedupe_key,
            status=Job.Status.RUNNING,
            started_at=timezone.now(),
            progress_total=len(children),
        )
        for spec in children:
            child, joined = job_dispatch(
                kind=spec.kind,
                steps=spec.steps,
                customer=spec.customer,
                created_by=created_by,
                params=spec.params,
                dedupe_key=spec.dedupe_key,
                lock_key=spec.lock_key,
                parent=parent,
            )
            if joined and child.parent_id != parent.pk:
                Job.objects.create(
                    kind=spec.kind.name,
                    customer=spec.customer,
                    created_by=parent.created_by,
                    params=_params_json(spec.kind, spec.params),
                    parent=parent,
                    follows=child,
                    status=Job.Status.RUNNING,
                    started_at=timezone.now(),
                )
            elif child.status not in Job.ACTIVE:
                job_finished(child)
        if not children:
            finish_parent_if_done(parent.pk)
        parent.refresh_from_db()
        return Dispatched(parent, joined=False)


def job_finished(job: Job, *, followed: bool = True) -> None:
    """Propagate the end of a job: to jobs following it, to its parent's progress, and (after
    commit) to its kind's reaction.

    Call inside the transaction that set the job's final status; `followed=False` when that
    transaction's write already found no active job following it (hotpath.record_success).
    """
    # After commit, in a transaction of its own: a reaction that fails cannot undo the job's end.
    # A worker that dies before it runs leaves reacted_at empty, and recovery runs it.
    transaction.on_commit(partial(job_reaction_run, job.pk), robust=True)
    if job.lock_key:
        _wake_next_chain(job.lock_key)
    followers = Job.objects.filter(follows=job, status__in=Job.ACTIVE) if followed else ()
    for follower in followers:
        updated = Job.objects.filter(pk=follower.pk, status__in=Job.ACTIVE).update(
            status=job.status, error=job.error, result=job.result, finished_at=timezone.now()
        )
        if updated:
            follower.refresh_from_db()
            job_finished(follower)
    if job.parent_id:
        failed = job.status in Job.FAILED_STATES
        counter = "progress_failed" if failed else "progress_done"
        Job.objects.filter(pk=job.parent_id, status=Job.Status.RUNNING).update(
            **{counter: F(counter) + 1}
        )
        finish_parent_if_done(job.parent_id)


def _wake_next_chain(lock_key: str) -> None:
    """The key is free: the oldest chain waiting for it starts now rather than at its next poll."""
    waiting = (
        Job.objects.filter(lock_key=lock_key, status__in=Job.ACTIVE, lock_acquired_at__isnull=True)
        .order_by("pk")
        .first()
    )
    if waiting is None:
        return
    now = timezone.now()
    queued = waiting.steps.filter(status=Step.Status.QUEUED).values_list("task_id", flat=True)
    tasks = DBTaskResult.objects.filter(id__in=[t for t in queued if t], status="READY")
    tasks.filter(run_after__gt=now).update(run_after=now)


def job_reaction_run(job_id: int) -> bool:
    """Run the kind's on_ended for an ended job that has not had it, and record it (reacted_at).

    One transaction, holding the job's row from its first statement, which records the
    reaction: a reaction that raises rolls that back, leaving reacted_at empty for the recovery
    sweep to run again, and two runs at once (a worker and the sweep) react once. Returns
    whether it ran now.
    """
    with transaction.atomic():
        job = hotpath_reacted(job_id, timezone.now())
        if job is None:
            return False  # reacted already, or re-opened (a retried fan-out ends again later)
        kind = registered_kinds().get(job.kind)
        if kind is not None and kind.on_ended is not None:
            kind.on_ended(job, job_params(job, kind))
        return True


def finish_parent_if_done(parent_id: int) -> None:
    parent = Job.objects.get(pk=parent_id)
    if (
        parent.status != Job.Status.RUNNING
        or parent.progress_done + parent.progress_failed < parent.progress_total
    ):
        return
    status = Job.Status.COMPLETED_WITH_FAILURES if parent.progress_failed else Job.Status.COMPLETED
    failures = [
        {
            "job_id": c.pk,
            "kind": c.kind,
            "customer_id": c.customer_id,
            "params": c.params,
            "error": c.error,
        }
        for c in parent.children.filter(status__in=Job.FAILED_STATES).order_by("pk")
    ]
    error = "; ".join(f"job {f['job_id']}: {f['error']}" for f in failures)
    result = {**(parent.result or {}), "failures": failures}
    if Job.objects.filter(pk=parent_id, status=Job.Status.RUNNING).update(
        status=status, finished_at=timezone.now(), error=error, result=result
    ):
        parent.refresh_from_db()
        job_finished(parent)


@transaction.atomic
def job_cancel(*, job: Job) -> Job:
    """Cancel a job: steps not yet started are skipped, a running handler stops at its next check.

    For a fan-out parent, children not yet started are cancelled; running ones finish.
    """
    now = timezone.now()
    if not Job.objects.filter(pk=job.pk, status__in=Job.ACTIVE).update(
        status=Job.Status.CANCELLED, finished_at=now, error="Cancelled"
    ):
        job.refresh_from_db()
        return job
    Step.objects.filter(job=job, status__in=[Step.Status.WAITING, Step.Status.QUEUED]).update(
        status=Step.Status.SKIPPED, finished_at=now
    )
    for child in job.children.filter(status=Job.Status.PENDING):
        job_cancel(job=child)
    job.refresh_from_db()
    # Every cancelled job has ended: its parent, its followers and the apps listening must hear it.
    job_finished(job)
    return job


@transaction.atomic
def job_retry_failed(*, job: Job, created_by=None) -> list[Job]:
    """Re-dispatch the failed children of a fan-out parent, under the same parent."""
    retried = []
    # Lock the parent: a child ending meanwhile bumps its counters after the recount below.
    job = Job.objects.select_for_update().get(pk=job.pk)
    failed_children = list(job.children.filter(status__in=Job.FAILED_STATES))
    if not failed_children:
        return retried
    for child in failed_children:
        steps = [StepSpec(s.name, s.params) for s in child.steps.order_by("position")]
        if child.follows_id:
            source = Job.objects.get(pk=child.follows_id)
            steps = [StepSpec(s.name, s.params) for s in source.steps.order_by("position")]
        # Detach the old child so the parent's counters can be recomputed from scratch.
        Job.objects.filter(pk=child.pk).update(parent=None)
        kind = kind_of(child.kind)
        new, _ = job_dispatch(
            kind=kind,
            steps=steps,
            customer=child.customer,
            created_by=created_by or job.created_by,
            params=kind.params.from_json(child.params or {}),
            dedupe_key=child.dedupe_key or _dedupe_of(child),
            lock_key=child.lock_key,
            parent=job,
        )
        retried.append(new)
    # Recount rather than subtract: children cancelled with their parent were never counted
    # (the parent had already ended), so subtracting them went below zero.
    counts = job.children.aggregate(
        done=Count("pk", filter=Q(status__in=Job.DONE_STATES)),
        failed=Count("pk", filter=Q(status__in=Job.FAILED_STATES)),
    )
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        finished_at=None,
        reacted_at=None,  # it ends again, and its kind reacts again
        error="",
        progress_done=counts["done"],
        progress_failed=counts["failed"],
    )
    finish_parent_if_done(job.pk)
    return retried


def _dedupe_of(child: Job) -> str | None:
    source = Job.objects.filter(pk=child.follows_id).first() if child.follows_id else None
    return source.dedupe_key if source else None
