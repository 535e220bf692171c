"""Writes of the accounts app: users with their memberships, API tokens."""

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from telcost.accounts.models import ApiToken, Membership
from telcost.customers.models import Customer


class AccountError(ValueError):
    """Input that cannot become an account; `status` is the HTTP status it deserves."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def api_token_issue(*, username: str, password: str) -> str:
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise AccountError("Invalid credentials", status=401)
    _, raw = ApiToken.issue(user)
    return raw


@transaction.atomic
def user_create(
    *, username: str, password: str, email: str = "", is_staff: bool = False, memberships: list[dict] | None = None
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
        user = User.objects.create_user(username=username, password=password, email=email, is_staff=is_staff)
    except IntegrityError:
        raise AccountError(f"username {username!r} is taken", status=409) from None
    Membership.objects.bulk_create(
        [Membership(user=user, customer_id=m["customer_id"], role=m["role"]) for m in memberships]
    )
    return user
