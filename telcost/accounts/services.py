"""Writes of the accounts app: users with their memberships, API tokens."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
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


def _memberships_checked(memberships: list[dict]) -> list[dict]:
    """The memberships as given, or AccountError naming what is wrong: an unknown customer, a
    customer twice, a role Membership does not define."""
    roles = set(Membership.Role.values)
    for m in memberships:
        if m.get("role") not in roles:
            raise AccountError(f"memberships.role: must be one of {', '.join(sorted(roles))}")
    customer_ids = [m["customer_id"] for m in memberships]
    wanted = set(customer_ids)
    known = set(Customer.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if unknown := sorted(wanted - known):
        raise AccountError(f"unknown customer_id: {', '.join(map(str, unknown))}")
    if len(wanted) != len(customer_ids):
        raise AccountError("memberships: one membership per customer")
    return memberships


def _email_checked(email: str) -> str:
    email = email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise AccountError("email: not a valid email address") from None
    return email


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    email: str = "",
    is_staff: bool = False,
    memberships: list[dict] | None = None,
):
    """A new user; password None: none yet (they choose one through a set-password link)."""
    User = get_user_model()
    memberships = _memberships_checked(memberships or [])
    email = _email_checked(email)
    if User.objects.filter(username=username).exists():
        raise AccountError(f"username {username!r} is taken", status=409)
    if password is not None:
        try:
            validate_password(password, user=User(username=username, email=email))
        except ValidationError as exc:
            raise AccountError("password: " + " ".join(exc.messages)) from None
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username, password=password, email=email, is_staff=is_staff
            )
    except IntegrityError:
        raise AccountError(f"username {username!r} is taken", status=409) from None
    # One by one, so each leaves its audit entry (bulk_create sends no signals).
    for m in memberships:
        Membership.objects.create(user=user, customer_id=m["customer_id"], role=m["role"])
    return user


@transaction.atomic
def user_update(
    *,
    actor,
    user,
    is_active: bool | None = None,
    is_staff: bool | None = None,
    email: str | None = None,
    memberships: list[dict] | None = None,
):
    """Change what staff change of a user; None leaves a field as it is. `memberships` is the
    full list ({customer_id, role}), replacing the user's memberships.

    Staff cannot lock themselves out (deactivate or un-staff their own account): someone else
    has to. Deactivation deletes the user's API tokens (a reactivated account starts without
    them); their sessions stop working at once, as Django's session auth refuses inactive users.
    """
    if actor.pk == user.pk and is_active is False:
        raise AccountError("is_active: you cannot deactivate your own account")
    if actor.pk == user.pk and is_staff is False and user.is_staff:
        raise AccountError("is_staff: you cannot take away your own staff rights")
    if memberships is not None:
        memberships = _memberships_checked(memberships)
    fields = []
    if email is not None:
        user.email = _email_checked(email)
        fields.append("email")
    if is_staff is not None:
        user.is_staff = is_staff
        fields.append("is_staff")
    if is_active is not None:
        user.is_active = is_active
        fields.append("is_active")
    if fields:
        user.save(update_fields=fields)  # the audit log compares with the row as it was
    if is_active is False:
        ApiToken.objects.filter(user=user).delete()
    if memberships is not None:
        memberships_replace(user=user, memberships=memberships)
    return user


def memberships_replace(*, user, memberships: list[dict]) -> None:
    """Make the user's memberships exactly these (checked by _memberships_checked), row by row so
    that each creation, role change and removal leaves its audit entry."""
    wanted = {m["customer_id"]: m["role"] for m in memberships}
    for existing in Membership.objects.filter(user=user).select_related("user"):
        role = wanted.pop(existing.customer_id, None)
        if role is None:
            existing.delete()
        elif role != existing.role:
            existing.role = role
            existing.save()
    for customer_id, role in wanted.items():
        Membership.objects.create(user=user, customer_id=customer_id, role=role)


@transaction.atomic
def user_password_change(*, user, old_password: str, new_password: str) -> None:
    """Change one's own password: the old one is required, Django's validators judge the new one.

    The user's other sessions end (Django's session hash follows the password: the caller keeps
    the current one with update_session_auth_hash) and their API tokens die (the password
    fingerprint); the dead tokens are deleted here.
    """
    if not user.check_password(old_password):
        raise AccountError("old_password: the current password is not correct")
    try:
        validate_password(new_password, user=user)
    except ValidationError as exc:
        raise AccountError("new_password: " + " ".join(exc.messages)) from None
    user_password_set(user=user, password=new_password)


@transaction.atomic
def user_password_set(*, user, password: str) -> None:
    """Set a password already validated (the set-password link's form runs the validators)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    ApiToken.objects.filter(user=user).exclude(
        password_fingerprint=password_fingerprint(user)
    ).delete()


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for a logged-in user (their account page); the raw token is shown once."""
    name = name.strip()
    if not name:
        raise AccountError("name: give the token a name")
    if len(name) > 100:
        raise AccountError("name: at most 100 characters")
    return ApiToken.issue(user, name=name)
