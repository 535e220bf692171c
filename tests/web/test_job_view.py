"""The live job view: polls while the job is active, stops when it ends, shows errors and
progress."""

import pytest
from django.test import Client

from telcost.jobs.diagnostics import PROBE_KIND
from telcost.jobs.models import Job, Step
from telcost.jobs.services import StepSpec, job_dispatch


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_job_page_polls_while_active_and_the_fragment_stops_when_done(
    customer, viewer, drain_jobs, outsider
):
    job = job_dispatch(
        kind=PROBE_KIND, steps=[StepSpec("Probe"), StepSpec("Probe")], customer=customer
    ).job
    client = logged_in(viewer)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and f'hx-get="/jobs/{job.pk}/status"' in page
    assert 'class="spinner"' in page and 'data-status="pending"' in page
    assert page.count('<li class="step-') == 2
    drain_jobs()
    fragment = client.get(f"/jobs/{job.pk}/status").content.decode()
    assert 'data-status="completed"' in fragment
    assert "hx-trigger" not in fragment and "spinner" not in fragment
    assert fragment.count('class="step-succeeded"') == 2
    assert logged_in(outsider).get(f"/jobs/{job.pk}/").status_code == 404
    assert logged_in(outsider).get(f"/jobs/{job.pk}/status").status_code == 404


@pytest.mark.django_db
def test_a_failed_job_shows_its_error_in_red_and_stops_polling(customer, viewer):
    job = job_dispatch(
        kind=PROBE_KIND, steps=[StepSpec("Probe"), StepSpec("Probe")], customer=customer
    ).job
    Job.objects.filter(pk=job.pk).update(status="failed", error="Probe: the provider said no")
    Step.objects.filter(job=job, position=0).update(
        status="failed", error="the provider said no", attempts=3
    )
    Step.objects.filter(job=job, position=1).update(status="skipped")
    body = logged_in(viewer).get(f"/jobs/{job.pk}/status").content.decode()
    # The step's label ("Test", the Dutch of "Probe") before the stored message, as in the steps.
    assert 'class="job-error error" role="alert">Test: the provider said no<' in body
    assert 'class="step-error error">the provider said no<' in body and "poging 3" in body
    assert "hx-trigger" not in body and 'data-status="failed"' in body


@pytest.mark.django_db
def test_progress_of_a_fan_out_is_a_bar_with_counts(customer, staff_user):
    job = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer).job
    Job.objects.filter(pk=job.pk).update(
        status="running", progress_total=6, progress_done=2, progress_failed=1
    )
    body = logged_in(staff_user).get(f"/jobs/{job.pk}/status").content.decode()
    assert 'max="6" value="3"' in body and ">3 / 6<" in body and "1 mislukt" in body
    assert 'hx-trigger="every 1s"' in body


@pytest.mark.django_db
def test_only_those_who_may_operate_a_job_see_cancel(customer, viewer, manager):
    job = job_dispatch(kind=PROBE_KIND, steps=[StepSpec("Probe")], customer=customer).job
    assert 'id="job-cancel"' not in logged_in(viewer).get(f"/jobs/{job.pk}/").content.decode()
    assert 'id="job-cancel"' in logged_in(manager).get(f"/jobs/{job.pk}/").content.decode()
    assert logged_in(viewer).post(f"/jobs/{job.pk}/cancel").status_code == 403
    body = logged_in(manager).post(f"/jobs/{job.pk}/cancel").content.decode()
    assert 'data-status="cancelled"' in body and "hx-trigger" not in body


@pytest.mark.django_db
def test_kinds_and_steps_are_shown_by_their_labels_in_the_users_language(customer, manager):
    import datetime as dt

    from telcost.usage.recalculation.services import recalculation_dispatch

    job = recalculation_dispatch(customer=customer, cycle_start=dt.date(2026, 9, 1)).job
    client = logged_in(manager)
    body = client.get(f"/jobs/{job.pk}/").content.decode()
    assert (
        "Totalen herberekenen" in body
        and ">Totalen berekenen<" in body
        and ">Status opslaan<" in body
    )
    assert "CalculateTotalsCommand<" not in body
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Recalculate totals" in body and ">Calculate totals<" in body
