"""The login page, throttled like POST /api/auth/token (telcost.accounts.throttle)."""

import math

from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import redirect
from django.urls import reverse

from telcost.accounts.throttle import (
    LoginThrottled,
    client_address,
    login_failure_record,
    login_success_record,
    login_throttle_check,
)


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
