import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from telcost.jobs.diagnostics import PROBE_KIND
from telcost.jobs.models import Job, Step
from telcost.jobs.services import StepSpec, job_dispatch


def probe_chain(n=3, **params):
    return [StepSpec("Probe", params) for _ in range(n)]


@pytest.mark.django_db
def test_dispatch_writes_job_steps_and_first_task_together(customer, staff_user):
    job = job_dispatch(
        kind=PROBE_KIND, steps=probe_chain(3), customer=customer, created_by=staff_user
    ).job
    assert job.status == Job.Status.PENDING
    statuses = list(job.steps.order_by("position").values_list("status", flat=True))
    assert statuses == ["queued", "waiting", "waiting"]
    first = job.steps.get(position=0)
    assert DBTaskResult.objects.filter(id=first.task_id, status="READY").exists()


@pytest.mark.django_db
def test_rollback_leaves_neither_job_nor_task(customer):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        job_dispatch(kind=PROBE_KIND, steps=probe_chain(1), customer=customer)
        raise Boom
    assert Job.objects.count() == 0
    assert Step.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db
def test_chain_runs_every_step_in_order_and_merges_results(customer, drain_jobs):
    job = job_dispatch(kind=PROBE_KIND, steps=probe_chain(3), customer=customer).job
    drain_jobs()
    job.refresh_from_db()
    assert job.status == Job.Status.COMPLETED
    assert job.progress_done == 3
    assert job.result == {"probe_0": "ok", "probe_1": "ok", "probe_2": "ok"}
    assert set(job.steps.values_list("status", flat=True)) == {"succeeded"}


@pytest.mark.django_db
def test_failed_step_fails_the_job_naming_the_step_and_skips_the_rest(customer, drain_jobs):
    steps = [
        StepSpec("Probe"),
        StepSpec("Probe", {"permanent_error": "rate plan has no zone 'eu'"}),
        StepSpec("Probe"),
    ]
    job = job_dispatch(kind=PROBE_KIND, steps=steps, customer=customer).job
    drain_jobs()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "Probe: rate plan has no zone 'eu'"
    assert list(job.steps.order_by("position").values_list("status", flat=True)) == [
        "succeeded",
        "failed",
        "skipped",
    ]


@pytest.mark.django_db
def test_unexpected_exception_is_permanent_and_names_its_type(customer, drain_jobs):
    job = job_dispatch(
        kind=PROBE_KIND, steps=[StepSpec("Probe", {"crash": "bad value"})], customer=customer
    ).job
    drain_jobs()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "Probe: ValueError: bad value"
    assert job.steps.get().attempts == 1


@pytest.mark.django_db
def test_an_unexpected_exception_in_a_step_is_logged_with_its_traceback(
    customer, drain_jobs, caplog
):
    # A bug in a handler is an uncaught exception like a view's 500: the log says where it was.
    job_dispatch(
        kind=PROBE_KIND, steps=[StepSpec("Probe", {"crash": "bad value"})], customer=customer
    )
    with caplog.at_level("WARNING", logger="telcost.jobs"):
        drain_jobs()
    [record] = [r for r in caplog.records if "failed: ValueError: bad value" in r.getMessage()]
    assert record.exc_info and record.exc_info[0] is ValueError
    assert "telcost/jobs/diagnostics.py" in caplog.text


@pytest.mark.django_db
def test_dedupe_returns_the_active_job(customer):
    first = job_dispatch(kind=PROBE_KIND, steps=probe_chain(1), customer=customer, dedupe_key="k:1")
    second = job_dispatch(
        kind=PROBE_KIND, steps=probe_chain(1), customer=customer, dedupe_key="k:1"
    )
    assert second.pk == first.pk and second.joined and not first.joined
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_dedupe_key_is_free_again_once_the_job_ended(customer, drain_jobs):
    first = job_dispatch(kind=PROBE_KIND, steps=probe_chain(1), customer=customer, dedupe_key="k:1")
    drain_jobs()
    second = job_dispatch(
        kind=PROBE_KIND, steps=probe_chain(1), customer=customer, dedupe_key="k:1"
    )
    assert second.pk != first.pk and not second.joined


@pytest.mark.django_db
def test_database_refuses_two_active_jobs_with_one_key(customer):
    from django.db import IntegrityError

    Job.objects.create(kind="x", dedupe_key="same", status="running")
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(kind="x", dedupe_key="same", status="pending")
    Job.objects.create(kind="x", dedupe_key="same", status="completed")  # ended jobs don't count
