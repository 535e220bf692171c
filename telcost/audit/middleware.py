"""Remembers the request being served, so an audit entry written anywhere below knows who acts.

The user is read when an entry is written, not here: the API's token auth sets request.user
later than this middleware runs.
"""

from telcost.audit.services import audit_request


class AuditActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_request(request):
            return self.get_response(request)
