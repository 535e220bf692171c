"""Sections of "My account" that apps above accounts add (monthly reports), without accounts
importing them: an app registers a function of the request that renders its section's HTML in
its AppConfig.ready(); the page shows them in the order registered, after the API tokens."""

from collections.abc import Callable

from django.http import HttpRequest

Section = Callable[[HttpRequest], str]
_SECTIONS: dict[str, Section] = {}


def account_section(name: str, render: Section) -> None:
    _SECTIONS[name] = render


def account_sections_html(request: HttpRequest) -> list[str]:
    return [render(request) for render in _SECTIONS.values()]
