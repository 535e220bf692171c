"""Shapes every API module shares: the error body, and what every operation can answer.

Each operation declares its answers (Ninja's response={200: X, 400: Error, ...}), so the
OpenAPI schema at /api/openapi.json describes the API and the fuzzer in the suite
(tests/test_api_fuzz.py) holds the code to it.
"""

from typing import Annotated

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field


class Error(Schema):
    error: str


class Out(BaseModel):
    """A response body (a dict the view builds). Fields it has beyond the declared ones are passed
    on, not dropped: a plain pydantic model, as Ninja's Schema reads objects by attribute and
    would lose them."""

    model_config = ConfigDict(extra="allow")


class CreatedId(Out):
    id: int


Money = Annotated[
    str, Field(pattern=r"^-?[0-9]+\.[0-9]{4}$", description="a decimal with 4 places")
]
Month = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{4}-[0-9]{2}$",
        description="YYYY-MM, from 2000-01 to the current month (Europe/Amsterdam)",
    ),
]
# What the seed's URLs and the manual sync accept for a month: YYYY-MM, an ISO date or datetime.
CycleDate = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{4}-[0-9]{2}(-[0-9]{2}([T ][^/]+)?)?$",
        max_length=40,
        description="YYYY-MM or an ISO 8601 date (or datetime) naming a month "
        "from 2000-01 to the current one",
    ),
]


def errors(*statuses: int) -> dict[int, type[Error]]:
    """{status: Error} for each error status an operation answers."""
    return dict.fromkeys(statuses, Error)


def answers(ok: dict, *statuses: int) -> dict:
    """An operation's responses: `ok` ({200: Schema}) and the error statuses, always 400 (bad input,
    a NUL character anywhere) and 401 (no token or session)."""
    return {**ok, **errors(400, 401, *statuses)}
