"""The one Ninja API: every JSON endpoint of telcost, with one auth and one error shape.

Mounted at the site root so the seed's paths (/usage/..., /simaction/...,
/sync-profile/..., /download/...) and /api/... share auth and errors.
OpenAPI at /api/docs.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        from telcost.accounts.services import api_token_authenticate

        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class Session(SessionAuth):
    """Browser sessions; CSRF is enforced by SessionAuth for unsafe methods."""

    def _get_key(self, request):
        # No session cookie: nothing a forged request could ride on, so no CSRF check, and the
        # answer is 401 "Not logged in" rather than a CSRF 403 (SPEC: 401 not logged in).
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


api = NinjaAPI(
    title="telcost",
    version="1",
    auth=[BearerToken(), Session()],
    docs_url="/api/docs",
    openapi_url="/api/openapi.json",
    urls_namespace="api",
)


def _error(request, message: str, status: int):
    return api.create_response(request, {"error": message}, status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    parts = []
    for err in exc.errors:
        loc = ".".join(
            str(p) for p in err.get("loc", ()) if p not in ("body", "payload", "query", "path")
        )
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    return _error(request, "; ".join(parts) or "Invalid input", 400)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, exc):
    if _browser_opening_a_file(request):
        # An emailed download link opened while logged out: through the login and back to the
        # file. A token client (or a script) still gets the JSON 401.
        return redirect_to_login(request.get_full_path())
    return _error(request, "Not logged in", 401)


def _browser_opening_a_file(request) -> bool:
    """A browser's GET of a /download/ link: no Authorization header, asking for a page."""
    return (
        request.method in ("GET", "HEAD")
        and request.path.startswith("/download/")
        and "HTTP_AUTHORIZATION" not in request.META
        and "text/html" in request.headers.get("Accept", "")
    )


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return _error(request, str(exc) or "Forbidden", 403)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, str(exc) or "Not found", 404)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return _error(request, str(exc.message), exc.status_code)


def _register_routers() -> None:
    from telcost.accounts.api import router as accounts_router
    from telcost.addons.api import router as addons_router
    from telcost.alerts.api import router as alerts_router
    from telcost.audit.api import router as audit_router
    from telcost.customers.api import router as customers_router
    from telcost.devices.api import router as devices_router
    from telcost.exports.api import router as exports_router
    from telcost.jobs.api import router as jobs_router
    from telcost.reports.api import router as reports_router
    from telcost.syncs.api import router as syncs_router
    from telcost.usage.api.cost_control import router as cost_control_router
    from telcost.usage.api.imports import router as imports_router
    from telcost.usage.api.partner import router as partner_router
    from telcost.usage.api.totals import router as usage_router

    api.add_router("", accounts_router)
    api.add_router("", customers_router)
    api.add_router("", jobs_router)
    api.add_router("", usage_router)
    api.add_router("", imports_router)
    api.add_router("", partner_router)
    api.add_router("", addons_router)
    api.add_router("", syncs_router)
    api.add_router("", exports_router)
    api.add_router("", audit_router)
    api.add_router("", cost_control_router)
    api.add_router("", devices_router)
    api.add_router("", alerts_router)
    api.add_router("", reports_router)


_register_routers()
