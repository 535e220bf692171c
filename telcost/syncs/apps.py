from django.apps import AppConfig


class SyncsConfig(AppConfig):
    name = "telcost.syncs"
    label = "syncs"

    def ready(self) -> None:
        from telcost.jobs.models import Job
        from telcost.jobs.services import job_ended
        from telcost.syncs.services import sync_task_follow_job

        def follow(sender, job: Job, **kwargs) -> None:
            if job.kind == "sync" and job.status != Job.Status.COMPLETED:
                sync_task_follow_job(job=job)

        job_ended.connect(follow, dispatch_uid="syncs-follow-job", weak=False)
