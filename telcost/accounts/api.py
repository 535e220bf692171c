"""POST /api/auth/token, GET /api/auth/tokens, DELETE /api/auth/tokens/{id}; the users (staff):
GET and POST /api/users, PATCH /api/users/{id}."""

import datetime as dt
from typing import Literal

from django.http import JsonResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from telcost.accounts.access import require_staff
from telcost.accounts.models import Membership
from telcost.accounts.selectors import api_tokens_live, user_by_id, users_listed
from telcost.accounts.services import (
    AccountError,
    api_token_issue,
    api_token_revoke,
    user_create,
    user_update,
)
from telcost.accounts.throttle import LoginThrottled, client_address
from telcost.core.api_schemas import CreatedId, answers, errors
from telcost.core.paging import PageQuery, paged

USER_NOT_FOUND = "User not found"

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


Role = Literal[tuple(Membership.Role.values)]


class MembershipIn(Schema):
    customer_id: int = Field(ge=1, le=2**62)
    role: Role


class UserIn(Schema):
    username: str = Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str = Field(min_length=1, max_length=4096)
    email: str = Field(default="", max_length=254)
    is_staff: bool = False
    memberships: list[MembershipIn] = []


class MembershipOut(Schema):
    customer_id: int
    customer_name: str = Field(alias="customer.name")
    role: Role


class UserOut(Schema):
    id: int
    username: str
    email: str
    is_active: bool
    is_staff: bool
    last_login: dt.datetime | None
    date_joined: dt.datetime
    memberships: list[MembershipOut]

    @staticmethod
    def resolve_memberships(user):
        return list(user.memberships.all())


class UsersPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[UserOut]


class UsersQuery(PageQuery):
    q: str = Field(default="", max_length=150, description="part of a username or email")


class UserPatch(Schema):
    """Only the fields sent change; `memberships` is the full list, replacing the old one."""

    is_active: bool | None = None
    is_staff: bool | None = None
    email: str | None = Field(default=None, max_length=254)
    memberships: list[MembershipIn] | None = Field(default=None, max_length=1000)


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


# 403: a session's request without its CSRF token (as on every unsafe operation).
@router.delete("/api/auth/tokens/{token_id}", response=answers({204: None}, 403, 404))
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


@router.get("/api/users", response=answers({200: UsersPage}, 403))
def list_users(request, query: Query[UsersQuery]):
    require_staff(request.user)
    return paged(users_listed(q=query.q), page=query.page, page_size=query.page_size)


@router.patch("/api/users/{user_id}", response=answers({200: UserOut}, 403, 404))
def update_user(request, user_id: int, payload: UserPatch):
    require_staff(request.user)
    user = user_by_id(user_id)
    if user is None:
        raise HttpError(404, USER_NOT_FOUND)
    try:
        user_update(
            actor=request.user,
            user=user,
            is_active=payload.is_active,
            is_staff=payload.is_staff,
            email=payload.email,
            memberships=(
                None if payload.memberships is None else [m.dict() for m in payload.memberships]
            ),
        )
    except AccountError as exc:
        _raise(exc)
    return user_by_id(user.pk)
