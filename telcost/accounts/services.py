"""Writes of the accounts app: users with their memberships, API tokens."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from telcost.accounts.models import (
    ApiToken,
    LoginThrottle,
    Membership,
    hash_token,
    password_fingerprint,
)
from telcost.accounts.throttle import (
    login_failure_record,
    login_success_record,
    login_throttle_check,
)
from telcost.customers.models import Customer


class AccountError(ValueError):
    """Input that cannot become an account; `status` is the HTTP status it deserves."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# last_used_at is written at most this often per token: a request should not cost a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def api_token_issue(
    *, username: str, password: str, address: str, name: str = ""
) -> tuple[ApiToken, str]:
    """A new token for these credentials; LoginThrottled while the username or address waits."""
    login_throttle_check(username=username, address=address)
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        login_failure_record(username=username, address=address)
        raise AccountError("Invalid credentials", status=401)
    login_success_record(username=username)
    # The user's dead tokens go now; they would never work again.
    ApiToken.objects.filter(user=user).filter(
        Q(expires_at__lte=timezone.now()) | ~Q(password_fingerprint=password_fingerprint(user))
    ).delete()
    return ApiToken.issue(user, name=name)


def api_token_authenticate(raw: str):
    """The active user a live token belongs to, or None; records when the token was last used."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.user.is_active or not token.is_live():
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def logins_clean_up() -> None:
    """Forget throttle windows that ended and tokens that expired (a worker timer)."""
    now = timezone.now()
    LoginThrottle.objects.filter(
        window_started_at__lte=now - dt.timedelta(seconds=settings.LOGIN_THROTTLE_SECONDS)
    ).delete()
    ApiToken.objects.filter(expires_at__lte=now).delete()


def api_token_revoke(*, user, token_id: int) -> bool:
    """Delete one of the user's own tokens; False when the user has no token with that id."""
    if not 1 <= token_id < 2**63:  # beyond a bigint: no such token (and no overflow in the query)
        return False
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    email: str = "",
    is_staff: bool = False,
    memberships: list[dict] | None = None,
):
    User = get_user_model()
    memberships = memberships or []
    if User.objects.filter(username=username).exists():
        raise AccountError(f"username {username!r} is taken", status=409)
    try:
        validate_password(password, user=User(username=username, email=email))
    except ValidationError as exc:
        raise AccountError("password: " + " ".join(exc.messages)) from None
    customer_ids = {m["customer_id"] for m in memberships}
    known = set(Customer.objects.filter(pk__in=customer_ids).values_list("pk", flat=True))
    if unknown := sorted(customer_ids - known):
        raise AccountError(f"unknown customer_id: {', '.join(map(str, unknown))}")
    if len(customer_ids) != len(memberships):
        raise AccountError("one membership per customer")
    try:
        user = User.objects.create_user(
            username=username, password=password, email=email, is_staff=is_staff
        )
    except IntegrityError:
        raise AccountError(f"username {username!r} is taken", status=409) from None
    for (
        m
    ) in memberships:  # one by one, so each leaves its audit entry (bulk_create sends no signals)
        Membership.objects.create(user=user, customer_id=m["customer_id"], role=m["role"])
    return user
