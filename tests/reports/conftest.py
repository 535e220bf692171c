"""Monthly reports of the hand-computed October 2026 (tests/usage/cost_control/helpers.py),
sent on a subscriber's day in November."""

import datetime as dt
import email
from email import policy

import pytest

from telcost.reports.models import ReportSubscription
from tests.factories import MembershipFactory, UserFactory
from tests.usage.cost_control.helpers import AMS, calculate, october

NOV_5 = dt.datetime(2026, 11, 5, 10, 0, tzinfo=AMS)  # a subscriber's day: October is reported


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=AMS)


@pytest.fixture
def datri(db):
    """October calculated: {"customer", "devices"}."""
    made = october()
    calculate(made["customer"])
    return made


@pytest.fixture
def subscriber(db):
    """subscriber(customer, username, language="nl", role="viewer", day=5) -> a subscription."""

    def make(customer, username, language="nl", role="viewer", day=5) -> ReportSubscription:
        user = UserFactory(username=username, email=f"{username}@example.com")
        MembershipFactory(user=user, customer=customer, role=role)
        return ReportSubscription.objects.create(
            user=user, customer=customer, day_of_month=day, language=language
        )

    return make


def mail_of(envelope) -> tuple[str, str]:
    """(subject, text body) of a message the SMTP server received."""
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    body = message.get_body(("plain",)).get_content()
    return str(message["Subject"]), body.replace("\r\n", "\n")
