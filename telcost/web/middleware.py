"""Middleware for every request: JSON error bodies on JSON paths, NUL bytes refused, the language.

Django and Ninja answer an unknown path or a wrong method with an HTML page;
an API client should get `{"error": ...}` like every other error.
"""

import re

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

JSON_PREFIXES = ("/api/", "/usage/", "/simaction/", "/sync-profile/", "/download/")
_MESSAGES = {404: "Not found", 405: "Method not allowed"}


class JsonErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code in _MESSAGES
            and request.path.startswith(JSON_PREFIXES)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            json_response = JsonResponse(
                {"error": _MESSAGES[response.status_code]}, status=response.status_code
            )
            if response.has_header("Allow"):
                json_response["Allow"] = response["Allow"]
            return json_response
        return response


class DutchFirstLocaleMiddleware:
    """Dutch unless the user chose otherwise (the language cookie), whatever the browser asks.

    The product's labels are the seed's Dutch ones; a person who wants English
    says so once with the language switch.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


# A JSON string escape for U+0000 that is not itself an escaped backslash followed by "u0000".
_JSON_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _nul_in(query_dict) -> bool:
    return any(
        "\x00" in key or any("\x00" in v for v in values) for key, values in query_dict.lists()
    )


def _has_nul(request, view_func) -> bool:
    if "\x00" in request.path or _nul_in(request.GET):
        return True
    if any("\x00" in key or "\x00" in value for key, value in request.COOKIES.items()):
        return True
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        return b"\x00" in request.body or bool(_JSON_ESCAPED_NUL.search(request.body))
    if request.method != "POST":
        return False
    if content_type == "application/x-www-form-urlencoded":
        return _nul_in(request.POST)
    # A page's multipart form is parsed by the CSRF check right after this anyway; a csrf-exempt
    # view (the API's uploads) parses its own, after authentication: not stored here before it.
    if content_type == "multipart/form-data" and not getattr(view_func, "csrf_exempt", False):
        return _nul_in(request.POST)
    return False


class RefuseNulMiddleware:
    """400 for a NUL character anywhere a user's text comes in: path, query, cookies, JSON, forms.

    PostgreSQL cannot store U+0000 in text (psycopg raises, a 500) and SQLite would store it
    silently: refusing it at the door keeps both databases answering alike, for every endpoint.
    File names in uploads need nothing: Django strips their control characters.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not _has_nul(request, view_func):
            return None
        message = _("Input may not contain NUL (\\u0000) characters")
        if request.path.startswith(JSON_PREFIXES) or "json" in (request.content_type or ""):
            return JsonResponse({"error": message}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
