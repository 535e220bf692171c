from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "telcost.exports"
    label = "exports"

    def ready(self) -> None:
        from telcost.exports.services import export_status_follow_job
        from telcost.jobs.models import Job
        from telcost.jobs.services import job_ended

        def follow(sender, job: Job, **kwargs) -> None:
            if job.kind == "export" and job.status != Job.Status.COMPLETED:
                export_status_follow_job(job=job)

        job_ended.connect(follow, dispatch_uid="exports-follow-job", weak=False)
