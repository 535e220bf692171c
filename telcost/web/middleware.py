"""JSON error bodies for the JSON endpoints' own 404 and 405 answers.

Django and Ninja answer an unknown path or a wrong method with an HTML page;
an API client should get `{"error": ...}` like every other error.
"""

from django.http import JsonResponse

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
            json_response = JsonResponse({"error": _MESSAGES[response.status_code]}, status=response.status_code)
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
