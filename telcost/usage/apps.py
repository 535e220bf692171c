from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "telcost.usage"
    label = "usage"

    def ready(self) -> None:
        from telcost.jobs.services import job_ended
        from telcost.usage.imports.services import cdr_upload_job_ended
        from telcost.usage.recalculation.status import recalculation_ended

        def follow(sender, job, **kwargs) -> None:
            recalculation_ended(job=job)
            if job.kind == "cdr_import":
                cdr_upload_job_ended(job=job)

        job_ended.connect(follow, dispatch_uid="usage-recalculation-ended", weak=False)
