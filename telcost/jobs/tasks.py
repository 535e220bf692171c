"""The one task the backend knows: run a step by id. Everything else lives in runner."""

from django.tasks import task


@task()
def execute_step(step_id: int) -> None:
    from telcost.jobs.runner import run_step

    run_step(step_id)
