"""Customer menu → Sync Profiles: profiles on the left, details on the right, "Start sync" and its
live status."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_POST

from telcost.accounts.access import SYNC, customer_for_user, may, require_right
from telcost.core.cycles import BadCycle, recent_cycles, requested_month
from telcost.syncs.models import SyncProfile, SyncTask
from telcost.syncs.selectors import sync_task_effective_status, sync_task_status
from telcost.syncs.services import SyncInputError, sync_manual_dispatch


@login_required
def profiles_page(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    profiles = list(customer.sync_profiles.all())
    selected = next(
        (p for p in profiles if str(p.pk) == request.GET.get("profile")),
        profiles[0] if profiles else None,
    )
    running = None
    tasks = []
    if selected is not None:
        tasks = list(selected.tasks.select_related("job__created_by")[:10])
        for t in tasks:
            t.effective_status = sync_task_effective_status(t)
        running = next(
            (
                t
                for t in tasks
                if t.effective_status in (SyncTask.Status.PENDING, SyncTask.Status.RUNNING)
            ),
            None,
        )
    return render(
        request,
        "syncs/profiles.html",
        {
            "customer": customer,
            "profiles": profiles,
            "selected": selected,
            "tasks": tasks,
            "running": running,
            "may_sync": may(request.user, SYNC, customer),
            "months": recent_cycles(12),
            "running_status": sync_task_status(running) if running else None,
        },
    )


@login_required
@require_POST
def start_sync(request, profile_id: int):
    profile = SyncProfile.objects.select_related("customer").filter(pk=profile_id).first()
    require_right(
        user=request.user,
        customer=profile and profile.customer,
        right=SYNC,
        not_found="Sync profile not found",
    )
    try:
        month = requested_month(request.POST.get("date", ""))
        task = sync_manual_dispatch(profile=profile, cycle_start=month, user=request.user)
    except (BadCycle, SyncInputError) as exc:
        return render(request, "syncs/_task_status.html", {"error": str(exc)}, status=400)
    return _status_fragment(request, task)


@login_required
def task_status(request, task_id: int):
    task = SyncTask.objects.select_related("profile__customer", "job").filter(pk=task_id).first()
    require_right(
        user=request.user, customer=task and task.profile.customer, not_found="Sync task not found"
    )
    return _status_fragment(request, task)


def _status_fragment(request, task: SyncTask):
    """The task's live status; once it has ended, the page's history reloads (HX-Trigger)."""
    status = sync_task_status(task)
    response = render(request, "syncs/_task_status.html", {"task": status})
    if status["status"] not in (SyncTask.Status.PENDING, SyncTask.Status.RUNNING):
        response["HX-Trigger"] = "sync-ended"
    return response
