"""The "Monthly reports" section of My account: subscribe, change, pause, unsubscribe.

Rendered into the account page through telcost.accounts.sections; its forms post here and, from
htmx, get the section back (without JavaScript: back to the account page with a message).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from telcost.reports.models import ReportSubscription
from telcost.reports.sections import ChangeForm, SubscribeForm, section_context
from telcost.reports.services import (
    ReportError,
    subscription_create,
    subscription_delete,
    subscription_for,
    subscription_update,
)


def _answer(request: HttpRequest, *, error: str = "", form=None, done: str = "") -> HttpResponse:
    if request.htmx:
        html = render_to_string(
            "reports/_subscriptions.html",
            section_context(request, form, error, done),
            request=request,
        )
        return HttpResponse(html, status=400 if error else 200)
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    return redirect("accounts:account")


@login_required
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.user, request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for field in form.errors.values() for e in field)
        return _answer(request, error=errors, form=form)
    try:
        subscription_create(
            user=request.user,
            customer=form.cleaned_data["customer"],
            day_of_month=form.cleaned_data["day_of_month"],
            language=form.cleaned_data["language"],
        )
    except ReportError as exc:
        return _answer(request, error=_(str(exc)), form=form)
    return _answer(request, done=_("You are subscribed to the monthly report."))


def _own_or_error(request: HttpRequest, subscription_id: int) -> ReportSubscription | None:
    return subscription_for(user=request.user, subscription_id=subscription_id)


@login_required
@require_POST
def change(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = _own_or_error(request, subscription_id)
    if subscription is None:
        return _answer(request, error=_("This subscription no longer exists."))
    action = request.POST.get("action", "save")
    if action == "delete":
        subscription_delete(subscription=subscription)
        return _answer(request, done=_("You no longer receive this monthly report."))
    if action in ("pause", "resume"):
        changes = {"active": action == "resume"}
    else:
        form = ChangeForm(request.POST)
        if not form.is_valid():
            return _answer(request, error=_("Choose a day from 1 to 28 and a language."))
        changes = form.cleaned_data
    try:
        subscription_update(subscription=subscription, changes=changes)
    except ReportError as exc:
        return _answer(request, error=str(exc))
    return _answer(request, done=_("Your monthly report was changed."))
