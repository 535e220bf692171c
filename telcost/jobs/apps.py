from django.apps import AppConfig
from django.conf import settings
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "telcost.jobs"
    label = "jobs"

    def ready(self) -> None:
        # Imported here, not at the top: these modules use the models, which are not ready when
        # this module is imported. The task module fills the queue's task slot.
        import telcost.jobs.tasks  # noqa: F401

        # Every app declares its step handlers and job kinds in steps.py and its worker timers
        # in timers.py; importing them registers them.
        autodiscover_modules("steps")
        autodiscover_modules("timers")
        if settings.JOBS_DIAGNOSTIC_STEPS:
            # Conditional: Probe writes to paths taken from a job's parameters, so production
            # workers never register it.
            import telcost.jobs.diagnostics  # noqa: F401 - registers Probe and Noop
