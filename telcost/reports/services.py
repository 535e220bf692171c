"""Monthly reports: subscriptions, the timer that starts each month's report, and its job.

On the day a subscriber chose (1–28, Europe/Amsterdam), the `reports.monthly` timer of every
worker looks for subscriptions whose last month was not reported yet. Each is claimed with a
conditional UPDATE of `last_sent_cycle` (the month it reports), and the `monthly_report` job is
dispatched in the same transaction: however many workers run the timer, one job per month.

A month not calculated yet on that day: the report waits until it is (a sync or a
recalculation may come a few days later), at the latest until the last day of the month; then
it goes out saying the month was not calculated, with a link to the usage page.

The job: the chargeback export of the month for the subscriber (an xlsx in their language, with
no "Export completed" mail of its own), then the report mail through the outbox (key
`report:<subscription>:<YYYY-MM>`: a step run again never mails twice). Both steps check the
subscriber's right again: a revoked membership or a deactivated user gets nothing.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any, Self

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from telcost.accounts.access import CUSTOMER_NOT_FOUND, VIEW, may
from telcost.core.cycles import cycle_end_of, cycle_start_of, parse_month, previous_cycle
from telcost.core.formatting import money_text, number_style, percent_text
from telcost.customers.models import Customer
from telcost.exports.models import ExportJob
from telcost.exports.services import (
    export_generate,
    export_request_within,
    export_status_follow_job,
)
from telcost.jobs.errors import StepError
from telcost.jobs.kinds import JobKind, register
from telcost.jobs.models import Job
from telcost.jobs.services import StepSpec, job_dispatch
from telcost.outbox.models import OutgoingMail
from telcost.outbox.services import mail_queue
from telcost.reports.models import LAST_DAY, ReportSubscription
from telcost.reports.selectors import MonthSummary, month_summary
from telcost.usage.billing.totals import totals_exist

LANGUAGES = dict(settings.LANGUAGES)
# The API answers in English; a page shows it in its reader's language (views.py).
ALREADY_SUBSCRIBED = translation.gettext_noop(
    "You already receive the monthly report of this customer"
)


class ReportError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class AttemptSuperseded(StepError):
    """The step was handed to another attempt: this one queues nothing."""


# ---- subscriptions -------------------------------------------------------------------------


def _checked_day(day_of_month) -> int:
    if isinstance(day_of_month, bool) or not isinstance(day_of_month, int):
        raise ReportError(f"day_of_month must be a whole number from 1 to {LAST_DAY}")
    if not 1 <= day_of_month <= LAST_DAY:
        raise ReportError(f"day_of_month must be from 1 to {LAST_DAY} (every month has those days)")
    return day_of_month


def _checked_language(language) -> str:
    if language not in LANGUAGES:
        raise ReportError(f"language must be one of {', '.join(LANGUAGES)}")
    return language


def subscription_create(
    *, user, customer: Customer | None, day_of_month: int, language: str, active: bool = True
) -> ReportSubscription:
    """Subscribe `user` to the customer's monthly report: only a customer they may VIEW (404
    otherwise, as for one that does not exist); once per customer (409)."""
    day_of_month = _checked_day(day_of_month)
    language = _checked_language(language)
    if customer is None or not may(user, VIEW, customer):
        raise ReportError(CUSTOMER_NOT_FOUND, 404)
    try:
        with transaction.atomic():
            return ReportSubscription.objects.create(
                user=user,
                customer=customer,
                day_of_month=day_of_month,
                language=language,
                active=bool(active),
            )
    except IntegrityError:
        raise ReportError(ALREADY_SUBSCRIBED, 409) from None


def subscription_update(
    *, subscription: ReportSubscription, changes: dict[str, Any]
) -> ReportSubscription:
    """Change the day, the language or pause (active false) and resume."""
    if "day_of_month" in changes:
        subscription.day_of_month = _checked_day(changes["day_of_month"])
    if "language" in changes:
        subscription.language = _checked_language(changes["language"])
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            raise ReportError("active must be true or false")
        subscription.active = changes["active"]
    subscription.save(update_fields=["day_of_month", "language", "active", "updated_at"])
    return subscription


def subscription_delete(*, subscription: ReportSubscription) -> None:
    subscription.delete()


def subscription_for(*, user, subscription_id: int) -> ReportSubscription | None:
    """The user's own subscription (staff: anyone's), else None (a 404 either way)."""
    found = (
        ReportSubscription.objects.select_related("customer", "user", "last_job")
        .filter(pk=subscription_id)
        .first()
    )
    if found is None or (found.user_id != user.pk and not user.is_staff):
        return None
    return found


def report_month(today: dt.date) -> dt.date:
    """The month a report sent on `today` summarises: the one before."""
    return previous_cycle(cycle_start_of(today))


def next_report_on(subscription: ReportSubscription, today: dt.date) -> dt.date | None:
    """The day the next report is due (today when it is due now); None while paused."""
    if not subscription.active:
        return None
    this_month = cycle_start_of(today)
    month = report_month(today)
    if subscription.last_sent_cycle is None or subscription.last_sent_cycle < month:
        return max(today, this_month.replace(day=subscription.day_of_month))
    return (cycle_end_of(this_month) + dt.timedelta(days=1)).replace(day=subscription.day_of_month)


def may_receive(subscription: ReportSubscription) -> bool:
    """Whether the subscriber may still read the customer (an active user with VIEW on it)."""
    user = subscription.user
    return user.is_active and may(user, VIEW, subscription.customer)


# ---- the timer -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportParams:
    subscription_id: int
    month: str  # "2026-11", the month reported

    @classmethod
    def from_json(cls, data) -> Self:
        return cls(subscription_id=int(data["subscription_id"]), month=str(data["month"]))

    def to_json(self) -> dict[str, Any]:
        return {"subscription_id": self.subscription_id, "month": self.month}

    @property
    def cycle(self) -> dt.date:
        return parse_month(self.month)


def _report_ended(job: Job, params: ReportParams) -> None:
    """A report that did not complete leaves its export failed with the reason (idempotent)."""
    export_status_follow_job(job, params)


REPORT_KIND = register(
    JobKind(
        name="monthly_report",
        label=_("Monthly report"),
        params=ReportParams,
        on_ended=_report_ended,
        month=lambda params: params.month,
    )
)
REPORT_STEPS = ("ProduceMonthlyReportExport", "SendMonthlyReportMail")


def reports_run_due(*, now: dt.datetime | None = None) -> int:
    """Start the report of every subscription whose day came this month (Europe/Amsterdam) and
    whose last month was not reported yet; returns how many were started.

    Each is claimed with a conditional UPDATE and its job dispatched in the same transaction,
    so two workers (or two runs) never both start one. A month not calculated yet waits until
    it is, at the latest until the month's last day.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    month = report_month(today)
    last_day = today == cycle_end_of(cycle_start_of(today))
    due = (
        ReportSubscription.objects.filter(
            active=True, user__is_active=True, day_of_month__lte=today.day
        )
        .filter(Q(last_sent_cycle__isnull=True) | Q(last_sent_cycle__lt=month))
        .select_related("customer", "user")
        .order_by("pk")
    )
    calculated: dict[int, bool] = {}
    started = 0
    for subscription in due:
        if subscription.customer_id not in calculated:
            calculated[subscription.customer_id] = totals_exist(
                customer=subscription.customer, cycle_start=month
            )
        if not calculated[subscription.customer_id] and not last_day:
            continue  # waits for the month to be calculated
        if not may_receive(subscription):
            continue  # no right (any more): nothing is started; a right given back sends it
        with transaction.atomic():
            # Not if another worker took it, or it was paused, changed or deleted since it was
            # read.
            if not ReportSubscription.objects.filter(
                pk=subscription.pk, active=True, last_sent_cycle=subscription.last_sent_cycle
            ).update(last_sent_cycle=month):
                continue
            job, _joined = job_dispatch(
                kind=REPORT_KIND,
                customer=subscription.customer,
                created_by=subscription.user,
                params=ReportParams(subscription_id=subscription.pk, month=f"{month:%Y-%m}"),
                steps=[StepSpec(name) for name in REPORT_STEPS],
                dedupe_key=f"report:{subscription.pk}:{month:%Y-%m}",
            )
            ReportSubscription.objects.filter(pk=subscription.pk).update(last_job=job)
        started += 1
    return started


# ---- the job's steps -----------------------------------------------------------------------


def report_subject(params: ReportParams) -> ReportSubscription | None:
    """The job's subscription while its subscriber may still receive it; None otherwise (it was
    deleted, the membership revoked, the user deactivated): then nothing is made or sent."""
    subscription = (
        ReportSubscription.objects.select_related("customer", "user")
        .filter(pk=params.subscription_id)
        .first()
    )
    if subscription is None or not may_receive(subscription):
        return None
    return subscription


def report_export_produce(
    *, job: Job, subscription: ReportSubscription, cycle: dt.date, attempt_tag: str, still_owner
) -> ExportJob | None:
    """The month's chargeback xlsx for the subscriber in their language; None for a month never
    calculated (the mail says so). Idempotent: a step run again finds and keeps its export."""
    if not totals_exist(customer=subscription.customer, cycle_start=cycle):
        return None
    export = export_request_within(
        job=job,
        customer=subscription.customer,
        user=subscription.user,
        cycle_start_date=cycle,
        kind=ExportJob.Kind.CHARGEBACK,
        fmt=ExportJob.Format.XLSX,
        language=subscription.language,
    )
    export_generate(export=export, attempt_tag=attempt_tag, still_owner=still_owner)
    export.refresh_from_db()
    return export


def report_mail_key(subscription: ReportSubscription, cycle: dt.date) -> str:
    return f"report:{subscription.pk}:{cycle:%Y-%m}"


def report_mail_queue(
    *, job: Job, subscription: ReportSubscription, cycle: dt.date, still_owner
) -> OutgoingMail:
    """Queue the report mail once, in this transaction (sent after it commits)."""
    export = (
        ExportJob.objects.filter(
            job=job, kind=ExportJob.Kind.CHARGEBACK, status=ExportJob.Status.COMPLETED
        )
        .order_by("pk")
        .first()
    )
    summary = month_summary(customer=subscription.customer, cycle=cycle)
    subject, body = report_mail_text(subscription, cycle, summary, export)
    user = subscription.user
    with transaction.atomic():
        if not still_owner():
            raise AttemptSuperseded("this attempt was handed to another worker")
        return mail_queue(
            key=report_mail_key(subscription, cycle),
            to=[user.email or f"{user.get_username()}@localhost"],
            subject=subject,
            body=body,
        )


_TYPE_NAMES = {
    "voice": translation.gettext_noop("Voice"),
    "sms": translation.gettext_noop("SMS"),
    "data": translation.gettext_noop("Data"),
    "subscription": translation.gettext_noop("Subscriptions"),
}


def _signed(text: str, value) -> str:
    return f"+{text}" if value > 0 else text


def report_mail_text(
    subscription: ReportSubscription,
    cycle: dt.date,
    summary: MonthSummary | None,
    export: ExportJob | None,
) -> tuple[str, str]:
    """The report's subject and body in the subscription's language."""
    base = settings.TELCOST_BASE_URL
    customer = subscription.customer
    with translation.override(subscription.language):
        style = number_style()

        def money(value) -> str:
            return money_text(value, style, 2)

        values = {"customer": customer.name, "month": date_format(cycle, "YEAR_MONTH_FORMAT")}
        subject = gettext("telcost monthly report: %(customer)s, %(month)s") % values
        usage_link = f"{base}/customers/{customer.pk}/usage/?month={cycle:%Y-%m}"
        lines: list[str] = []
        if summary is None:
            lines += [
                gettext(
                    "%(month)s has not been calculated for %(customer)s yet, so this report has "
                    "no figures. It waited for the calculation until the last day of this month."
                )
                % values,
                "",
                gettext("The month's usage, once it is calculated: %(link)s")
                % {"link": usage_link},
            ]
        else:
            lines += [
                gettext("Monthly report of %(customer)s for %(month)s") % values,
                "",
                gettext("Total cost: %(total)s") % {"total": money(summary.total)},
            ]
            previous = {"month": date_format(previous_cycle(cycle), "YEAR_MONTH_FORMAT")}
            if summary.previous_total is None:
                lines.append(gettext("%(month)s: not calculated") % previous)
            else:
                change = _signed(money(summary.change), summary.change)
                if summary.change_percent is not None:
                    percent = percent_text(summary.change_percent, style, 1)
                    change = f"{change} ({_signed(percent, summary.change_percent)})"
                lines.append(
                    gettext("%(month)s: %(total)s, change %(change)s")
                    % {**previous, "total": money(summary.previous_total), "change": change}
                )
            lines += ["", gettext("Cost by type")]
            for kind, name in _TYPE_NAMES.items():
                lines.append(f"  {gettext(name)}: {money(summary.by_type[kind])}")
            if summary.top:
                lines += ["", gettext("Cost centers with the highest cost")]
                for place in summary.top:
                    name = (
                        gettext("Without cost center")
                        if place.code is None
                        else f"{place.code} {place.name}".strip()
                    )
                    lines.append(f"  {name}: {money(place.total)}")
                if summary.more_places:
                    lines.append(
                        "  "
                        + gettext("and %(count)s more in the export")
                        % {"count": summary.more_places}
                    )
            lines.append("")
            if export is not None and export.expires_at:
                until = date_format(timezone.localtime(export.expires_at), "DATE_FORMAT")
                lines += [
                    gettext("The chargeback per cost center (xlsx): %(link)s")
                    % {"link": f"{base}/download/export/{export.pk}"},
                    gettext("The link works until %(until)s.") % {"until": until},
                ]
            lines.append(gettext("The month's usage: %(link)s") % {"link": usage_link})
        lines += [
            "",
            gettext(
                "You receive this report on day %(day)s of every month. Change or stop it under "
                "My account: %(link)s"
            )
            % {"day": subscription.day_of_month, "link": f"{base}/account/"},
        ]
        return subject, "\n".join(lines) + "\n"
