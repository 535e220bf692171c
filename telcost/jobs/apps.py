from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "telcost.jobs"
    label = "jobs"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Every app declares its step handlers in steps.py and its worker timers in
        # timers.py; importing them registers them.
        autodiscover_modules("steps")
        autodiscover_modules("timers")
        from django.conf import settings

        if settings.JOBS_DIAGNOSTIC_STEPS:
            import telcost.jobs.diagnostics  # noqa: F401 - registers Probe and Noop
