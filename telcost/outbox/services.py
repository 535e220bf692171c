"""Mail once: `mail_queue` in the transaction that decides a mail, sent when it commits.

The one way a workflow's mail goes out (alerts, monthly reports). The state is recorded before a
try ("sending") and as soon as the SMTP server took the message ("sent", before QUIT), so a retry
never sends a sent mail again. A try found "sending" after its sender died is made again: the one
window that can still give two mails is between the server's 250 and our write, and both copies
carry one Message-ID, which mail clients show once. A mail that could not go out is tried again
by the `outbox.send_due` timer with backoff, first after TELCOST_EXPORT_MAIL_RETRY_FIRST_SECONDS,
doubling up to an hour, for TELCOST_EXPORT_MAIL_RETRY_HOURS (the exports' mail policy).

Export links still have their own state on ExportJob (exports/services.py, older than this).
"""

import datetime as dt
import logging
import re
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from telcost.outbox.models import OutgoingMail

logger = logging.getLogger("telcost.outbox")

_RETRY_MAX_SECONDS = 3600.0
State = OutgoingMail.State


def mail_queue(*, key: str, to: list[str], subject: str, body: str) -> OutgoingMail:
    """The mail of `key`, queued once; sent after the caller's transaction commits.

    Queueing a key again returns the mail already there, unchanged (a step run twice, two workers
    deciding the same alert). Recipients without an address are dropped; a mail to nobody is
    recorded as failed, so it is visible and never tried.
    """
    recipients = [address for address in dict.fromkeys(to) if address]
    mail, created = OutgoingMail.objects.get_or_create(
        key=key,
        defaults={
            "to": recipients,
            "subject": subject[:300],
            "body": body,
            "state": State.PENDING if recipients else State.FAILED,
            "error": "" if recipients else "no recipients",
        },
    )
    if created and recipients:
        transaction.on_commit(lambda: mail_send(mail.pk), robust=True)
    return mail


def mail_send(mail_id: int) -> str:
    """Try the mail once now; "sent", "sent before", "sending elsewhere" or "failed: …"."""
    mail = OutgoingMail.objects.get(pk=mail_id)
    if mail.state == State.SENT:
        return "sent before"
    if mail.state == State.FAILED:
        return f"failed: {mail.error}"
    if mail.state == State.SENDING and not _sender_died(mail, timezone.now()):
        return "sending elsewhere"
    claimed_at = _claim(mail)
    if claimed_at is None:
        return "sending elsewhere"
    try:
        _send(mail, claimed_at)
    except (SMTPException, OSError) as exc:
        _failed(mail, claimed_at, f"{type(exc).__name__}: {exc}")
        logger.warning("mail %s not sent: %s", mail.key, exc)
        return f"failed: {exc}"
    return "sent"


def _sender_died(mail: OutgoingMail, now: dt.datetime) -> bool:
    # As long as a step may go without a heartbeat: its worker is then taken for dead too.
    return mail.sending_at < now - dt.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)


def _claim(mail: OutgoingMail) -> dt.datetime | None:
    """Record the try, unless another sender claimed the mail since it was read."""
    now = timezone.now()
    claimed = OutgoingMail.objects.filter(
        pk=mail.pk, state=mail.state, sending_at=mail.sending_at
    ).update(state=State.SENDING, sending_at=now, tries=F("tries") + 1)
    return now if claimed else None


def _message_id(key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "telcost"
    return f"<telcost-{re.sub(r'[^A-Za-z0-9.-]', '-', key)}@{domain}>"


def _send(mail: OutgoingMail, claimed_at: dt.datetime) -> None:
    message = EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=mail.to,
        # One Message-ID per key: a retry's copy in the unavoidable window is the same message.
        headers={"Message-ID": _message_id(mail.key)},
    )
    with mailers.default as connection:
        connection.send_messages([message])
        # The server took it: recorded before QUIT, so a sender killed while closing never sends
        # it again.
        OutgoingMail.objects.filter(pk=mail.pk, state=State.SENDING, sending_at=claimed_at).update(
            state=State.SENT, sent_at=timezone.now(), error="", next_at=None
        )


def _failed(mail: OutgoingMail, claimed_at: dt.datetime, error: str) -> None:
    """Next try after first × 2^(tries − 1) seconds (at most an hour), within the retry window."""
    now = timezone.now()
    tries = mail.tries + 1
    first = settings.TELCOST_EXPORT_MAIL_RETRY_FIRST_SECONDS
    delay = min(_RETRY_MAX_SECONDS, first * 2 ** (tries - 1))
    give_up_at = mail.created_at + dt.timedelta(hours=settings.TELCOST_EXPORT_MAIL_RETRY_HOURS)
    next_at = now + dt.timedelta(seconds=delay)
    state = State.RETRYING if next_at <= give_up_at else State.FAILED
    OutgoingMail.objects.filter(pk=mail.pk, state=State.SENDING, sending_at=claimed_at).update(
        state=state, error=error[:500], next_at=next_at if state == State.RETRYING else None
    )


def outbox_send_due(*, now: dt.datetime | None = None, limit: int = 50) -> int:
    """Send what is due: retries whose time came, mails whose sender died while sending, and
    pending mails nobody sent (the process that queued them ended before its commit hook ran).

    Several workers may run this at once: each mail is claimed by a conditional UPDATE.
    """
    now = now or timezone.now()
    dead_before = now - dt.timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)
    due = OutgoingMail.objects.filter(
        Q(state=State.RETRYING, next_at__lte=now)
        | Q(state=State.SENDING, sending_at__lt=dead_before)
        | Q(state=State.PENDING, created_at__lt=dead_before)
    ).order_by("created_at")[:limit]
    return sum(mail_send(mail.pk) == "sent" for mail in due)
