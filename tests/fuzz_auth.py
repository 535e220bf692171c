"""Schemathesis hook (SCHEMATHESIS_HOOKS=tests.fuzz_auth) for tests/test_api_fuzz.py: each
generated request goes out as the next of the roles in TELCOST_FUZZ_TOKENS (a JSON object
role -> token; an empty token sends none), so every operation is tried by every role."""

import itertools
import json
import os

import schemathesis

_TOKENS = itertools.cycle(json.loads(os.environ["TELCOST_FUZZ_TOKENS"]).values())


@schemathesis.auth(refresh_interval=None)
class EachRoleInTurn:
    def get(self, case, context):
        return next(_TOKENS)

    def set(self, case, token, context):
        case.headers = dict(case.headers or {})
        if token:
            case.headers["Authorization"] = f"Bearer {token}"
