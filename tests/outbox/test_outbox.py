"""Mail once: queued in a transaction, sent after it commits, never twice, retried when the SMTP
server is down — against a real SMTP server on loopback."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from telcost.outbox.models import OutgoingMail
from telcost.outbox.services import mail_queue, mail_send, outbox_send_due
from tests.mail import free_port, smtp_mailers

pytestmark = pytest.mark.django_db

State = OutgoingMail.State


def queue(key="alert:1", to=("finance@example.com",), subject="telcost alert: Roaming"):
    return mail_queue(key=key, to=list(to), subject=subject, body="Roaming went over 100.")


def test_a_queued_mail_goes_out_once_its_transaction_commits(
    smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            mail = queue()
            assert smtp.messages == []  # not before the decision is committed
    assert len(smtp.messages) == 1
    envelope = smtp.messages[0]
    assert envelope.rcpt_tos == ["finance@example.com"]
    text = envelope.content.decode()
    assert "Subject: telcost alert: Roaming" in text
    assert "Message-ID: <telcost-alert-1@" in text
    mail.refresh_from_db()
    assert (mail.state, mail.tries) == (State.SENT, 1)
    assert mail.sent_at is not None


def test_queueing_a_key_again_is_the_same_mail(smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue()
    with django_capture_on_commit_callbacks(execute=True):
        again = queue(subject="something else")
    assert again.pk == first.pk and again.subject == "telcost alert: Roaming"
    assert mail_send(first.pk) == "sent before"
    assert len(smtp.messages) == 1


def test_a_rolled_back_decision_mails_nothing(smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            queue()
            raise RuntimeError("the step failed")
    assert not OutgoingMail.objects.exists()
    assert smtp.messages == []


def test_a_mail_the_server_refused_is_retried_with_backoff(
    settings, smtp, django_capture_on_commit_callbacks
):
    settings.TELCOST_EXPORT_MAIL_RETRY_FIRST_SECONDS = 60
    up = settings.MAILERS
    settings.MAILERS = smtp_mailers(free_port(), timeout=1)  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        mail = queue()
    mail.refresh_from_db()
    assert mail.state == State.RETRYING and mail.error
    assert mail.next_at > timezone.now() + dt.timedelta(seconds=50)
    settings.MAILERS = up
    assert outbox_send_due() == 0  # not due yet
    assert outbox_send_due(now=mail.next_at + dt.timedelta(seconds=1)) == 1
    mail.refresh_from_db()
    assert (mail.state, mail.tries, mail.error) == (State.SENT, 2, "")
    assert len(smtp.messages) == 1
    assert outbox_send_due(now=mail.next_at or timezone.now() + dt.timedelta(days=1)) == 0


def test_past_the_retry_window_a_mail_fails_for_good(settings, django_capture_on_commit_callbacks):
    settings.TELCOST_EXPORT_MAIL_RETRY_HOURS = 0
    settings.MAILERS = smtp_mailers(free_port(), timeout=1)
    with django_capture_on_commit_callbacks(execute=True):
        mail = queue()
    mail.refresh_from_db()
    assert mail.state == State.FAILED and mail.next_at is None
    assert outbox_send_due(now=timezone.now() + dt.timedelta(days=2)) == 0


def test_a_mail_whose_sender_died_is_sent_by_the_timer_and_a_live_one_is_left(settings, smtp):
    settings.JOBS_STALE_AFTER_SECONDS = 60
    now = timezone.now()
    with transaction.atomic():
        live = queue(key="report:1:2026-10")
        dead = queue(key="report:2:2026-10")
    OutgoingMail.objects.filter(pk=live.pk).update(state=State.SENDING, sending_at=now)
    OutgoingMail.objects.filter(pk=dead.pk).update(
        state=State.SENDING, sending_at=now - dt.timedelta(minutes=5)
    )
    assert mail_send(live.pk) == "sending elsewhere"
    assert outbox_send_due() == 1
    assert [m.rcpt_tos for m in smtp.messages] == [["finance@example.com"]]
    states = dict(OutgoingMail.objects.values_list("key", "state"))
    assert states == {"report:1:2026-10": State.SENDING, "report:2:2026-10": State.SENT}


def test_a_pending_mail_nobody_sent_is_sent_by_the_timer(settings, smtp):
    settings.JOBS_STALE_AFTER_SECONDS = 60
    with transaction.atomic():
        mail = queue()  # no commit hook runs here: as if the process ended right after the commit
    assert outbox_send_due() == 0  # just queued: its own sender may still be at it
    assert outbox_send_due(now=timezone.now() + dt.timedelta(minutes=2)) == 1
    mail.refresh_from_db()
    assert mail.state == State.SENT and len(smtp.messages) == 1


def test_a_mail_to_nobody_is_recorded_as_failed_and_never_tried(
    smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mail = queue(to=("", ""))
    mail.refresh_from_db()
    assert (mail.state, mail.error, mail.tries) == (State.FAILED, "no recipients", 0)
    assert smtp.messages == []
