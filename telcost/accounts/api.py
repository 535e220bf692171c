"""POST /api/auth/token and POST /api/users."""

from typing import Literal

from django.core.exceptions import PermissionDenied
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from telcost.accounts.services import AccountError, api_token_issue, user_create

router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=4096)


class MembershipIn(Schema):
    customer_id: int = Field(ge=1, le=2**62)
    role: Literal["viewer", "manager"]


class UserIn(Schema):
    username: str = Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str = Field(min_length=1, max_length=4096)
    email: str = Field(default="", max_length=254)
    is_staff: bool = False
    memberships: list[MembershipIn] = []


def _raise(exc: AccountError):
    raise HttpError(exc.status, str(exc)) from None


@router.post("/api/auth/token", auth=None)
def token(request, payload: TokenIn):
    try:
        return {"token": api_token_issue(username=payload.username, password=payload.password)}
    except AccountError as exc:
        _raise(exc)


def require_staff(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("Unauthorized")


@router.post("/api/users", response={201: dict})
def create_user(request, payload: UserIn):
    require_staff(request)
    try:
        user = user_create(
            username=payload.username,
            password=payload.password,
            email=payload.email,
            is_staff=payload.is_staff,
            memberships=[m.dict() for m in payload.memberships],
        )
    except AccountError as exc:
        _raise(exc)
    return Status(201, {"id": user.pk})
