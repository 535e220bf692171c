"""Job kinds: each app declares the jobs it dispatches, and the jobs app knows them by name only.

A kind is the stored `Job.kind` ("recalculate_totals"), its label in the user's language, the
type of its parameters (a frozen dataclass with `from_json` / `to_json`: the stored `Job.params`),
what happens when a job of the kind ends (`on_ended`), and, for a kind a fan-out is made of, the
month a child is about (`month`, shown with its failures). An app registers its kinds at module
level next to the service that dispatches them; its steps.py imports them, so they are registered
when the jobs app discovers the steps at start-up.

`on_ended(job, params)` runs after the transaction that ended the job commits, in a transaction
of its own (jobs.services.job_reaction_run); `Job.reacted_at` records that it ran, and the
recovery sweep
runs it for a job whose worker died in between. So it may run more than once: it must be
idempotent.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, Self

from django.utils.functional import Promise

from telcost.jobs.models import Job


class JobParams(Protocol):
    """A kind's parameters: a frozen dataclass that reads and writes the stored JSON."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self: ...

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class JobKind[P: JobParams]:
    name: str  # the stored Job.kind
    label: str | Promise  # gettext_lazy("Recalculate totals"); the Dutch in the .po
    params: type[P]
    on_ended: Callable[[Job, P], None] | None = None
    month: Callable[[P], str] | None = None  # "2026-11", for a fan-out's list of failed children

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class FreeParams:
    """Parameters of no fixed shape, read by their steps only (diagnostic jobs)."""

    values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(dict(data))

    def to_json(self) -> dict[str, Any]:
        return dict(self.values)


_KINDS: dict[str, JobKind] = {}


def register[K: JobKind](kind: K) -> K:
    """Declare a kind (at module level). One name, one kind."""
    known = _KINDS.setdefault(kind.name, kind)
    if known != kind:
        raise ValueError(f"the job kind {kind.name!r} is registered twice")
    return kind


def kind_of(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"No job kind named {name!r} is registered") from None


def registered_kinds() -> dict[str, JobKind]:
    return dict(_KINDS)


def label_of(name: str, default: str | None = None) -> str:
    """The kind's label in the active language; an unknown kind shows `default`, or its code."""
    kind = _KINDS.get(name)
    if kind is None:
        return name if default is None else default
    return str(kind.label)


def job_params[P: JobParams](job: Job, kind: JobKind[P]) -> P:
    if job.kind != kind.name:
        raise ValueError(f"job {job.pk} is a {job.kind!r} job, not {kind.name!r}")
    return kind.params.from_json(job.params or {})


def job_month(job: Job) -> str:
    """The month a job is about, where its kind says ("2026-11"); otherwise ""."""
    kind = _KINDS.get(job.kind)
    if kind is None or kind.month is None:
        return ""
    return kind.month(kind.params.from_json(job.params or {}))


class Dispatched(NamedTuple):
    """What a dispatch gives: the job, and whether it is one that was already under way."""

    job: Job
    joined: bool

    @property
    def pk(self) -> int:
        return self.job.pk
