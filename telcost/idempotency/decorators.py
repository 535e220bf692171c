"""`@idempotent`: a POST that dispatches work honours an `Idempotency-Key` header.

The same user sending the same key with the same request (method, path, body) within
24 h gets the first answer again, status and body, and nothing is dispatched twice;
the same key with another request is 422. Only answers that did something (2xx) are
kept: a refused request (4xx) may be sent again under its key once fixed.

Put it under the Ninja route decorator (it wraps the view function, after
authentication, so the key is the user's):

    @router.post("/api/exports", response={202: dict})
    @idempotent
    def create_export(request, payload: ExportIn): ...

The view runs inside the transaction that records its answer: its dispatch and the key
commit together. A concurrent request with the same key waits for that commit (the
unique index on PostgreSQL, the one writer on SQLite) and then gets the stored answer.
"""

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.utils import timezone
from ninja import Status
from ninja.responses import NinjaJSONEncoder
from ninja.utils import contribute_operation_callback

from telcost.idempotency.models import IdempotencyKey
from telcost.idempotency.services import KEY_LIFETIME

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class _NotKept(Exception):
    """The view answered without success: undo the key's claim (and anything else) and answer so."""

    def __init__(self, result) -> None:
        self.result = result


def _fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method}\n{request.get_full_path()}\n".encode())
    try:
        digest.update(request.body)
    except RawPostDataException:
        # A multipart body was read as a stream into POST and FILES (an upload): hash those.
        for name, values in sorted(request.POST.lists()):
            digest.update(json.dumps([name, values]).encode())
        for name, upload in sorted(request.FILES.items()):
            digest.update(json.dumps([name, upload.name, upload.size]).encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def _status_and_answer(result) -> tuple[int, str]:
    if isinstance(result, Status):
        status, value = result.status_code, result.value
    elif isinstance(result, HttpResponse):
        status, value = result.status_code, json.loads(result.content or b"null")
    elif isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], int):
        status, value = result
    else:
        status, value = 200, result
    # Stored as the JSON it is sent as, keys in order, so the replay renders the same body.
    return status, json.dumps(value, cls=NinjaJSONEncoder)


def _replay(stored: IdempotencyKey, fingerprint: str):
    if stored.fingerprint != fingerprint:
        return JsonResponse({"error": f"{HEADER} was already used for another request"}, status=422)
    return Status(stored.status_code, json.loads(stored.answer))


def _answer_once(view, request, args, kwargs, key: str, fingerprint: str):
    now = timezone.now()
    stored = IdempotencyKey.objects.select_for_update().filter(user=request.user, key=key).first()
    if stored is not None and stored.created_at <= now - KEY_LIFETIME:
        stored.delete()  # expired: the key is free again
        stored = None
    if stored is not None:
        return _replay(stored, fingerprint)
    try:
        with transaction.atomic():
            claim = IdempotencyKey.objects.create(
                user=request.user, key=key, fingerprint=fingerprint, created_at=now
            )
    except IntegrityError:
        # A request with this key committed meanwhile (PostgreSQL waited for it): answer as it did.
        return _replay(IdempotencyKey.objects.get(user=request.user, key=key), fingerprint)
    result = view(request, *args, **kwargs)
    status, answer = _status_and_answer(result)
    if not 200 <= status < 300:
        raise _NotKept(result)
    IdempotencyKey.objects.filter(pk=claim.pk).update(status_code=status, answer=answer)
    return result


def idempotent(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(request, *args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            return JsonResponse(
                {"error": f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters"}, status=400
            )
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                return _answer_once(view, request, args, kwargs, key, fingerprint)
        except _NotKept as refused:
            return refused.result

    contribute_operation_callback(wrapper, _document_header)
    return wrapper


def _document_header(operation) -> None:
    """The header and its 422 in the OpenAPI document of the operation."""
    extra = operation.openapi_extra or {}
    extra.setdefault("parameters", []).append(
        {
            "in": "header",
            "name": HEADER,
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
            "description": "The same key with the same request within 24 h returns the first "
            "answer; "
            "with another request, 422.",
        }
    )
    # The error shape every error answer has: {"error": "..."}.
    error = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
    extra.setdefault("responses", {})[422] = {
        "description": f"{HEADER} was used for another request",
        "content": {"application/json": {"schema": error}},
    }
    operation.openapi_extra = extra
