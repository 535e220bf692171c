"""POST /api/auth/token, GET /api/auth/tokens, DELETE /api/auth/tokens/{id}, POST /api/users."""

import datetime as dt
from typing import Literal

from django.http import JsonResponse
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from telcost.accounts.access import require_staff
from telcost.accounts.selectors import api_tokens_live
from telcost.accounts.services import AccountError, api_token_issue, api_token_revoke, user_create
from telcost.accounts.throttle import LoginThrottled, client_address
from telcost.core.api_schemas import CreatedId, answers, errors

router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=4096)
    name: str = Field(
        default="", max_length=100, description="what the token is for, shown in the list"
    )


class TokenIssued(Schema):
    token: str
    id: int
    expires_at: dt.datetime


class TokenOut(Schema):
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime


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


@router.post("/api/auth/token", auth=None, response={200: TokenIssued, **errors(400, 401, 429)})
def token(request, payload: TokenIn):
    try:
        issued, raw = api_token_issue(
            username=payload.username,
            password=payload.password,
            address=client_address(request),
            name=payload.name,
        )
    except AccountError as exc:
        _raise(exc)
    except LoginThrottled as exc:
        response = JsonResponse({"error": str(exc)}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return {"token": raw, "id": issued.pk, "expires_at": issued.expires_at}


@router.get("/api/auth/tokens", response=answers({200: list[TokenOut]}))
def tokens(request):
    return list(api_tokens_live(user=request.user))


@router.delete("/api/auth/tokens/{token_id}", response=answers({204: None}, 404))
def revoke_token(request, token_id: int):
    if not api_token_revoke(user=request.user, token_id=token_id):
        # Another user's token and no token at all answer alike: ids cannot be probed.
        raise HttpError(404, "Token not found")
    return Status(204, None)


@router.post("/api/users", response=answers({201: CreatedId}, 403, 409))
def create_user(request, payload: UserIn):
    require_staff(request.user)
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
