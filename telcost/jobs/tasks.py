"""The one task the backend knows: run a step by id. Everything else lives in runner.

Its path (telcost.jobs.tasks.execute_step) is stored in the backend's task rows: it never moves.
"""

from django.tasks import task

from telcost.jobs import queue
from telcost.jobs.runner import run_step


@task()
def execute_step(step_id: int) -> None:
    run_step(step_id)


queue.set_step_task(execute_step)
