"""The "Monthly reports" section of My account, as the account page shows it (registered in
apps.py through telcost.accounts.sections) and as its forms (views.py) answer htmx."""

from django import forms
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy

from telcost.accounts.access import customers_for
from telcost.reports.models import LAST_DAY, ReportSubscription
from telcost.reports.selectors import subscriptions_of
from telcost.reports.services import next_report_on

DAYS = [(day, str(day)) for day in range(1, LAST_DAY + 1)]
LANGUAGES = [("nl", gettext_lazy("Dutch")), ("en", gettext_lazy("English"))]


class SubscribeForm(forms.Form):
    customer = forms.ModelChoiceField(
        queryset=None, label=gettext_lazy("Customer"), empty_label=gettext_lazy("choose a customer")
    )
    day_of_month = forms.TypedChoiceField(
        choices=DAYS, coerce=int, initial=1, label=gettext_lazy("Day of the month")
    )
    language = forms.ChoiceField(choices=LANGUAGES, label=gettext_lazy("Language"))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        subscribed = ReportSubscription.objects.filter(user=user).values("customer_id")
        self.fields["customer"].queryset = (
            customers_for(user).exclude(pk__in=subscribed).order_by("name")
        )
        self.fields["language"].initial = (get_language() or "nl")[:2]


class ChangeForm(forms.Form):
    day_of_month = forms.TypedChoiceField(choices=DAYS, coerce=int)
    language = forms.ChoiceField(choices=LANGUAGES)


def section_context(
    request: HttpRequest, form: SubscribeForm | None = None, error: str = "", done: str = ""
) -> dict:
    today = timezone.localdate()
    rows = [
        {"subscription": s, "next_on": next_report_on(s, today)}
        for s in subscriptions_of(request.user)
    ]
    return {
        "rows": rows,
        "form": form or SubscribeForm(request.user),
        "days": DAYS,
        "languages": LANGUAGES,
        "last_day": LAST_DAY,
        "error": error,
        "done": done,
    }


def subscriptions_section(request: HttpRequest) -> str:
    """The section's HTML on the account page."""
    return render_to_string(
        "reports/_subscriptions.html", section_context(request), request=request
    )
