"""Customer menu → Sync Profiles: the profiles with their last sync and next scheduled run, one
profile's details, "Start sync" and its live status; for staff the forms to create and edit a
profile, (de)activate, delete and test it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from telcost.accounts.access import SYNC, customer_for_user, may, require_right, require_staff
from telcost.core.cycles import BadCycle, recent_cycles, requested_month
from telcost.syncs.models import SyncProfile, SyncTask
from telcost.syncs.profiles import (
    PROVIDER_FIELDS,
    SyncInputError,
    sync_profile_create,
    sync_profile_delete,
    sync_profile_test,
    sync_profile_update,
)
from telcost.syncs.schedule import BadSchedule, schedule_preview, schedule_upcoming
from telcost.syncs.selectors import (
    PROFILE_NOT_FOUND,
    sync_profile_for_user,
    sync_profiles_of,
    sync_task_effective_status,
    sync_task_status,
    sync_task_summary,
)
from telcost.syncs.services import sync_manual_dispatch

PREVIEW_RUNS = 5


@login_required
def profiles_page(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    profiles = sync_profiles_of(customer)
    for p in profiles:
        p.summary = sync_task_summary(p.last_task)
        p.upcoming = schedule_upcoming(p, count=PREVIEW_RUNS)
    deleted = sync_profiles_of(customer, deleted=True)
    for p in deleted:
        p.summary = sync_task_summary(p.last_task)
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
            "deleted_profiles": deleted,
            "selected": selected,
            "selected_fields": _shown_fields(selected) if selected else [],
            "tasks": tasks,
            "running": running,
            "may_sync": may(request.user, SYNC, customer),
            "may_edit": request.user.is_staff,
            "months": recent_cycles(12),
            "running_status": sync_task_status(running) if running else None,
        },
    )


def _shown_fields(profile: SyncProfile) -> list[tuple]:
    """(field, value) of the profile's provider fields: settings as stored, credentials only as
    whether they are set."""
    shown = []
    credentials_set = bool(profile.credentials_encrypted)
    for field in PROVIDER_FIELDS.get(profile.provider, ()):
        if field.section == "credentials":
            shown.append((field, credentials_set))
        else:
            shown.append((field, profile.settings.get(field.name)))
    return shown


def _form_input(post, provider: str) -> tuple[dict, dict]:
    """The settings and credentials a form sent, by the provider's fields. An empty secret is
    left out (on edit: kept); an empty optional field is left out (its default holds)."""
    settings, credentials = {}, {}
    for field in PROVIDER_FIELDS.get(provider, ()):
        raw = post.get(field.key, "")
        value = raw.strip() if field.kind != "secret" else raw
        if not value:
            if field.required and field.section == "settings":
                settings[field.name] = ""
            continue
        if field.kind == "number":
            try:
                number = float(value.replace(",", "."))  # a Dutch decimal comma too
                value = int(number) if number.is_integer() else number
            except ValueError:
                pass  # the service says what the field must be
        (credentials if field.section == "credentials" else settings)[field.name] = value
    return settings, credentials


def _error_of(exc: SyncInputError, known: set[str]) -> tuple[str, str]:
    """(field key or "", message): "settings.path: …" goes beside the drop folder's field."""
    field, separator, message = str(exc).partition(": ")
    if separator and field in known:
        return field, message
    return "", str(exc)


def _form_context(*, customer, provider, profile=None, values=None, error=None) -> dict:
    fields = PROVIDER_FIELDS.get(provider, ())
    known = {"name", "schedule", *(f.key for f in fields)}
    error_field, error_message = _error_of(error, known) if error else ("", "")
    values = values or {}
    return {
        "customer": customer,
        "profile": profile,
        "provider": provider,
        "providers": SyncProfile.Provider.values,
        "fields": [
            {
                "field": f,
                "value": "" if f.kind == "secret" else values.get(f.key, ""),
                "error": error_message if error_field == f.key else "",
                "is_set": bool(profile and profile.credentials_encrypted),
            }
            for f in fields
        ],
        "values": values,
        "error_field": error_field,
        "error_message": error_message,
    }


def _stored_values(profile: SyncProfile) -> dict:
    values = {"name": profile.name, "schedule": profile.schedule}
    for field in PROVIDER_FIELDS.get(profile.provider, ()):
        if field.section == "settings" and field.name in profile.settings:
            values[field.key] = profile.settings[field.name]
    return values


@login_required
def profile_new(request, customer_id: int):
    customer = customer_for_user(user=request.user, customer_id=customer_id)
    require_staff(request.user)
    provider = request.POST.get("provider") or request.GET.get("provider") or "http_api"
    if provider not in SyncProfile.Provider.values:
        provider = "http_api"
    if request.method != "POST":
        return render(
            request,
            "syncs/profile_form.html",
            _form_context(customer=customer, provider=provider, values={"active": True}),
        )
    settings, credentials = _form_input(request.POST, provider)
    try:
        profile = sync_profile_create(
            customer=customer,
            name=request.POST.get("name", ""),
            provider=provider,
            settings=settings,
            credentials=credentials,
            schedule=request.POST.get("schedule", ""),
            active=request.POST.get("active") == "on",
        )
    except SyncInputError as exc:
        values = {**request.POST.dict(), "active": request.POST.get("active") == "on"}
        return render(
            request,
            "syncs/profile_form.html",
            _form_context(customer=customer, provider=provider, values=values, error=exc),
            status=400,
        )
    messages.success(request, _("Sync profile %(name)s created.") % {"name": profile.name})
    return redirect(_list_url(profile))


@login_required
def profile_edit(request, profile_id: int):
    profile = sync_profile_for_user(user=request.user, profile_id=profile_id, staff=True)
    if request.method != "POST":
        return render(
            request,
            "syncs/profile_form.html",
            _form_context(
                customer=profile.customer,
                provider=profile.provider,
                profile=profile,
                values=_stored_values(profile),
            ),
        )
    settings, credentials = _form_input(request.POST, profile.provider)
    changes = {
        "name": request.POST.get("name", ""),
        "settings": settings,
        "schedule": request.POST.get("schedule", ""),
    }
    if credentials:  # write-only: a secret left empty keeps the stored one
        changes["credentials"] = credentials
    try:
        profile = sync_profile_update(profile=profile, **changes)
    except SyncInputError as exc:
        return render(
            request,
            "syncs/profile_form.html",
            _form_context(
                customer=profile.customer,
                provider=profile.provider,
                profile=profile,
                values=request.POST.dict(),
                error=exc,
            ),
            status=400,
        )
    messages.success(request, _("Sync profile %(name)s saved.") % {"name": profile.name})
    return redirect(_list_url(profile))


@login_required
@require_POST
def profile_active(request, profile_id: int):
    profile = sync_profile_for_user(user=request.user, profile_id=profile_id, staff=True)
    active = request.POST.get("active") == "1"
    sync_profile_update(profile=profile, active=active)
    if active:
        messages.success(request, _("Sync profile %(name)s activated.") % {"name": profile.name})
    else:
        messages.success(request, _("Sync profile %(name)s deactivated.") % {"name": profile.name})
    return redirect(_list_url(profile))


@login_required
@require_POST
def profile_delete(request, profile_id: int):
    profile = sync_profile_for_user(user=request.user, profile_id=profile_id, staff=True)
    sync_profile_delete(profile=profile)
    messages.success(
        request,
        _("Sync profile %(name)s deleted. Its syncs stay in the history.") % {"name": profile.name},
    )
    return redirect("syncs:profiles", customer_id=profile.customer_id)


@login_required
@require_POST
def profile_test(request, profile_id: int):
    """htmx: the connection test's outcome as a fragment (refusals too)."""
    try:
        profile = sync_profile_for_user(user=request.user, profile_id=profile_id, staff=True)
    except Http404:
        return render(request, "syncs/_test_result.html", {"error": PROFILE_NOT_FOUND}, status=404)
    except PermissionDenied:
        return render(request, "syncs/_test_result.html", {"error": "Access denied"}, status=403)
    return render(
        request, "syncs/_test_result.html", {"result": sync_profile_test(profile=profile)}
    )


@login_required
@require_GET
def schedule_preview_fragment(request):
    """htmx: the next runs of the schedule being typed in a profile's form."""
    require_staff(request.user)
    try:
        runs = schedule_preview(request.GET.get("schedule", ""), count=PREVIEW_RUNS)
    except BadSchedule as exc:
        return render(request, "syncs/_schedule_preview.html", {"error": str(exc)})
    return render(request, "syncs/_schedule_preview.html", {"runs": runs})


def _list_url(profile: SyncProfile) -> str:
    return f"{reverse('syncs:profiles', args=[profile.customer_id])}?profile={profile.pk}"


@login_required
@require_POST
def start_sync(request, profile_id: int):
    profile = SyncProfile.objects.select_related("customer").filter(pk=profile_id).first()
    require_right(
        user=request.user,
        customer=profile and profile.customer,
        right=SYNC,
        not_found=PROFILE_NOT_FOUND,
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
