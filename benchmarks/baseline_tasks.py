"""A plain django-tasks task, the baseline the job engine's overhead is measured against."""

from django.tasks import task


@task()
def raw_noop() -> None:
    return None
