"""Customer menu → Sync Profiles: profiles on the left, details on the right, "Start sync" and its live status."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from telcost.accounts.rules import SYNC, VIEW
from telcost.customers.models import Customer
from telcost.syncs.models import SyncProfile, SyncTask
from telcost.syncs.selectors import sync_task_effective_status, sync_task_status
from telcost.syncs.services import SyncInputError, sync_manual_dispatch
from telcost.usage.cycles import BadCycle, parse_cycle_date, recent_cycles


@login_required
def profiles_page(request, customer_id: int):
    customer = get_object_or_404(Customer, pk=customer_id)
    if not request.user.has_perm(VIEW, customer):
        raise PermissionDenied
    profiles = list(customer.sync_profiles.all())
    selected = next((p for p in profiles if str(p.pk) == request.GET.get("profile")), profiles[0] if profiles else None)
    running = None
    tasks = []
    if selected is not None:
        tasks = list(selected.tasks.select_related("job")[:10])
        for t in tasks:
            t.effective_status = sync_task_effective_status(t)
        running = next((t for t in tasks if t.effective_status in (SyncTask.Status.PENDING, SyncTask.Status.RUNNING)),
                       None)
    return render(request, "syncs/profiles.html", {
        "customer": customer, "profiles": profiles, "selected": selected, "tasks": tasks, "running": running,
        "may_sync": request.user.has_perm(SYNC, customer), "months": recent_cycles(12),
        "running_status": sync_task_status(running) if running else None,
    })


@login_required
@require_POST
def start_sync(request, profile_id: int):
    profile = get_object_or_404(SyncProfile.objects.select_related("customer"), pk=profile_id)
    if not request.user.has_perm(SYNC, profile.customer):
        raise PermissionDenied
    try:
        task = sync_manual_dispatch(profile=profile, cycle_start=parse_cycle_date(request.POST.get("date", "")),
                                    user=request.user)
    except (BadCycle, SyncInputError) as exc:
        return render(request, "syncs/_task_status.html", {"error": str(exc)}, status=400)
    return render(request, "syncs/_task_status.html", {"task": sync_task_status(task)})


@login_required
def task_status(request, task_id: int):
    task = SyncTask.objects.select_related("profile__customer", "job").filter(pk=task_id).first()
    if task is None or not request.user.has_perm(VIEW, task.profile.customer):
        raise Http404
    return render(request, "syncs/_task_status.html", {"task": sync_task_status(task)})
