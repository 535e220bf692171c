"""The login page, throttled like POST /api/auth/token (telcost.accounts.throttle); the users
pages of staff; every user's own account page (password, API tokens)."""

import functools
import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from telcost.accounts.access import require_staff
from telcost.accounts.forms import (
    MembershipAddForm,
    TokenCreateForm,
    UserCreateForm,
    UserEditForm,
    add_service_error,
)
from telcost.accounts.sections import account_sections_html
from telcost.accounts.selectors import (
    api_tokens_live,
    password_set_path,
    user_by_id,
    users_listed,
)
from telcost.accounts.services import (
    AccountError,
    api_token_create,
    api_token_revoke,
    user_create,
    user_password_change,
    user_password_set,
    user_update,
)
from telcost.accounts.throttle import (
    LoginThrottled,
    client_address,
    login_failure_record,
    login_success_record,
    login_throttle_check,
)

USERS_PAGE_SIZE = 50
# The session remembers only which user's set-password link to show once, never the link.
_FRESH_LINK_FOR = "telcost_password_link_for"


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        try:
            login_throttle_check(
                username=request.POST.get("username", ""), address=client_address(request)
            )
        except LoginThrottled as throttled:
            # The password is not even checked: the answer cannot tell a right one from a wrong one.
            response = self.render_to_response(
                self.get_context_data(
                    form=self.get_form_class()(
                        request, initial={"username": request.POST.get("username", "")}
                    ),
                    throttled_minutes=math.ceil(throttled.retry_after / 60),
                ),
                status=429,
            )
            response["Retry-After"] = str(throttled.retry_after)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        login_success_record(username=form.cleaned_data.get("username", ""))
        return super().form_valid(form)

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS, "invalid_login"):
            login_failure_record(
                username=form.data.get("username", ""), address=client_address(self.request)
            )
        return super().form_invalid(form)


def admin_login(request):
    """The database admin's login is this one throttled page, not a second form of Django's."""
    if request.user.is_authenticated:
        # Logged in without the admin's rights: back home, not to /login/ (which would send
        # them here again).
        return redirect("home")
    query = request.GET.urlencode()
    return redirect(reverse("login") + (f"?{query}" if query else ""))


# ---- user management (staff) ---------------------------------------------------------------


def _staff_only(view):
    """Logged in (else the login page) and staff (else 403)."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        require_staff(request.user)
        return view(request, *args, **kwargs)

    return wrapped


def _user_or_404(user_id: int):
    user = user_by_id(user_id)
    if user is None:
        raise Http404(_("User not found"))
    return user


@_staff_only
@require_GET
def users_page(request):
    q = request.GET.get("q", "")[:150]
    page = Paginator(users_listed(q=q), USERS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "accounts/users.html", {"page": page, "q": q, "query": query.urlencode()}
    )


@_staff_only
def user_new_page(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_create(
                username=data["username"],
                password=data["password"] if data["password_mode"] == "password" else None,
                email=data["email"],
                is_staff=data["is_staff"],
            )
        except AccountError as exc:
            add_service_error(form, str(exc))
        else:
            messages.success(request, _("User %(name)s was created.") % {"name": user.username})
            if data["password_mode"] == "link":
                # Shown once, on the page the creation leads to; never stored.
                request.session[_FRESH_LINK_FOR] = user.pk
            return redirect("accounts:user", user_id=user.pk)
    return render(
        request, "accounts/user_new.html", {"form": form}, status=400 if form.errors else 200
    )


@_staff_only
def user_page(request, user_id: int):
    user = _user_or_404(user_id)
    form = UserEditForm(
        request.POST or None,
        initial={"email": user.email, "is_active": user.is_active, "is_staff": user.is_staff},
    )
    if request.method == "POST" and form.is_valid():
        try:
            user_update(actor=request.user, user=user, **form.cleaned_data)
        except AccountError as exc:
            add_service_error(form, str(exc))
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("accounts:user", user_id=user.pk)
    link = None
    if request.session.pop(_FRESH_LINK_FOR, None) == user.pk:
        link = request.build_absolute_uri(password_set_path(user))
    return render(
        request,
        "accounts/user_edit.html",
        {
            "subject": user,
            "form": form,
            "password_link": link,
            "link_days": _link_days(),
            **_memberships_context(user),
        },
        status=400 if form.errors else 200,
    )


def _link_days() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


def _memberships_context(user, form=None, error=None) -> dict:
    return {
        "subject": user,
        "memberships": list(user.memberships.select_related("customer").order_by("customer__name")),
        "membership_form": form or MembershipAddForm(),
        "membership_error": error,
    }


def _memberships_fragment(request, user, form=None, error=None, status=200):
    return render(
        request,
        "accounts/_memberships.html",
        _memberships_context(user, form, error),
        status=status,
    )


def _current_memberships(user) -> list[dict]:
    return [
        {"customer_id": m.customer_id, "role": m.role}
        for m in user.memberships.order_by("customer_id")
    ]


@_staff_only
@require_POST
def user_membership_add(request, user_id: int):
    """Add a membership, or change the role of the user's membership of that customer."""
    user = _user_or_404(user_id)
    form = MembershipAddForm(request.POST)
    if not form.is_valid():
        return _memberships_fragment(request, user, form=form, status=400)
    customer = form.cleaned_data["customer"]
    wanted = [m for m in _current_memberships(user) if m["customer_id"] != customer.pk]
    wanted.append({"customer_id": customer.pk, "role": form.cleaned_data["role"]})
    try:
        user_update(actor=request.user, user=user, memberships=wanted)
    except AccountError as exc:
        return _memberships_fragment(request, user, form=form, error=str(exc), status=400)
    return _memberships_fragment(request, user)


@_staff_only
@require_POST
def user_membership_remove(request, user_id: int, customer_id: int):
    user = _user_or_404(user_id)
    wanted = [m for m in _current_memberships(user) if m["customer_id"] != customer_id]
    user_update(actor=request.user, user=user, memberships=wanted)
    return _memberships_fragment(request, user)


@_staff_only
@require_POST
def user_password_link(request, user_id: int):
    user = _user_or_404(user_id)
    return render(
        request,
        "accounts/_password_link.html",
        {
            "password_link": request.build_absolute_uri(password_set_path(user)),
            "link_days": _link_days(),
        },
    )


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """A set-password link staff hand to a user: Django's reset confirmation, writing through
    the service (so the user's old tokens go too)."""

    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        user_password_set(user=form.user, password=form.cleaned_data["new_password1"])
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        messages.success(self.request, _("Your password was set. You can log in now."))
        return redirect(self.success_url)


# ---- my account (every user) ---------------------------------------------------------------


@login_required
def account_page(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_password_change(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except AccountError as exc:
            add_service_error(form, str(exc))
        else:
            # This session stays; the user's other sessions end with the old password.
            update_session_auth_hash(request, request.user)
            messages.success(
                request,
                _(
                    "Your password was changed. Your other sessions have ended and your "
                    "API tokens no longer work."
                ),
            )
            return redirect("accounts:account")
    return render(
        request,
        "accounts/account.html",
        {
            "form": form,
            **_tokens_context(request.user),
            "sections": account_sections_html(request),
        },
        status=400 if form.errors else 200,
    )


def _tokens_context(user, form=None, raw=None) -> dict:
    return {
        "tokens": list(api_tokens_live(user=user)),
        "token_form": form or TokenCreateForm(),
        "new_token": raw,
    }


@login_required
@require_POST
def account_token_create(request):
    form = TokenCreateForm(request.POST)
    raw = None
    if form.is_valid():
        try:
            _token, raw = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except AccountError as exc:
            add_service_error(form, str(exc))
    if raw is None:
        return render(
            request, "accounts/_tokens.html", _tokens_context(request.user, form=form), status=400
        )
    return render(request, "accounts/_tokens.html", _tokens_context(request.user, raw=raw))


@login_required
@require_POST
def account_token_revoke(request, token_id: int):
    # Another user's token id revokes nothing: the list simply stays as it is.
    api_token_revoke(user=request.user, token_id=token_id)
    return render(request, "accounts/_tokens.html", _tokens_context(request.user))
