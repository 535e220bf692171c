"""Stored English messages (a job's error, an import's reasons, a refused request) in the reader's
language.

Jobs, imports and services write their messages in English: they are stored, logged and
answered by the API as they are. A page shows them through reader_text (the template
filter `reader_text` of telcost_web): a message that is one of the catalogue's sentences
is translated whole; one that follows a pattern below ("msisdn must be 6 to 20 digits,
got '12'") is translated with its values kept; "StepName: message" and "line 3: message"
translate the message after the prefix, a registered step's name becoming its label
("Totalen berekenen: …"). Anything else is shown as stored.

A pattern's placeholders match any text; those named `message` are translated in turn,
`addon` is shown as the addon's name. In English each pattern gives back the stored text.
"""

import re
from functools import cache

from django.utils import translation
from django.utils.translation import gettext, pgettext, pgettext_lazy

from telcost.addons.selectors import addon_label
from telcost.jobs.registry import step_label

# The catalogue's context of these messages: a page translates them, while the API's answers
# (which translate only plain catalogue sentences, e.g. a sync's error) stay as they were.
CONTEXT = "stored message"


# Sentences raised without values: translated by the catalogue as they are. (Written out in full:
# makemessages finds a message by its pgettext_lazy call.)
SENTENCES = [
    pgettext_lazy("stored message", "Cancelled"),
    pgettext_lazy("stored message", "Customer not found"),
    pgettext_lazy("stored message", "Choose two versions."),
    pgettext_lazy("stored message", "Choose a customer you may recalculate."),
    pgettext_lazy("stored message", "the totals of this month have not been calculated"),
    pgettext_lazy("stored message", "the uploaded file is gone"),
    pgettext_lazy("stored message", "this attempt was handed to another worker"),
    pgettext_lazy("stored message", "end_date is before start_date"),
    pgettext_lazy("stored message", "addonsAction must be activate or cancel"),
    pgettext_lazy("stored message", "this sync profile is not active"),
    pgettext_lazy("stored message", "the provider's answer was not a page of records"),
    pgettext_lazy(
        "stored message", "the customer's external reference cannot name a customer at Nina"
    ),
    pgettext_lazy("stored message", "timeout"),
    pgettext_lazy("stored message", "connection failed"),
    pgettext_lazy("stored message", "connection failed (name)"),
    pgettext_lazy("stored message", "address refused"),
    # What became of an export's mail (the job's result).
    pgettext_lazy("stored message", "sent"),
    pgettext_lazy("stored message", "sent before"),
    pgettext_lazy("stored message", "sending elsewhere"),
    # An import's whole file refused, or one record rejected (telcost.usage.imports, import_rows).
    pgettext_lazy("stored message", "the file is empty"),
    pgettext_lazy("stored message", "the file is not UTF-8 text"),
    pgettext_lazy("stored message", "a record that does not end (a quote that is not closed?)"),
    pgettext_lazy("stored message", "a quote that is not closed before the end of the file"),
    pgettext_lazy(
        "stored message",
        "a line ends in a carriage return alone: save the file with \\n or \\r\\n line ends",
    ),
    pgettext_lazy("stored message", "the record contains a NUL character"),
    pgettext_lazy("stored message", "the record contains text that is not valid Unicode"),
    pgettext_lazy("stored message", "external_id is empty"),
    pgettext_lazy("stored message", "external_id is longer than 100 characters"),
    pgettext_lazy("stored message", "destination is longer than 64 characters"),
    pgettext_lazy("stored message", "msisdn belongs to another customer"),
    pgettext_lazy("stored message", "msisdn is not a device of this customer"),
    # A sync profile's form and connection test (telcost.syncs.profiles): the message after the
    # field it names ("settings.path: …"), shown beside that field.
    pgettext_lazy("stored message", "Sync profile not found"),
    pgettext_lazy("stored message", "the sync profile was deleted"),
    pgettext_lazy(
        "stored message",
        "the customer's Nina window (10 requests a minute) is full: try again shortly",
    ),
    pgettext_lazy("stored message", "may not be empty"),
    pgettext_lazy("stored message", "must be text"),
    pgettext_lazy("stored message", "must be an object"),
    pgettext_lazy("stored message", "http_api needs an http(s) URL"),
    pgettext_lazy("stored message", "not a URL"),
    pgettext_lazy("stored message", "the URL names no host"),
    pgettext_lazy("stored message", "file_drop needs the folder to read"),
    pgettext_lazy("stored message", "http_api needs an API key"),
    pgettext_lazy("stored message", "seconds to wait for a page, more than 0 and at most 300"),
    # A device refused (telcost.customers.services) or an inventory line rejected
    # (telcost.customers.device_imports).
    pgettext_lazy("stored message", "msisdn is already a device"),
    pgettext_lazy("stored message", "msisdn: must be 6 to 20 digits"),
    pgettext_lazy("stored message", "msisdn: on an earlier line of this file too"),
    pgettext_lazy("stored message", "activated_on: required"),
    pgettext_lazy("stored message", "activated_on: required for a new device"),
    pgettext_lazy("stored message", "deactivated_on: before activated_on"),
    pgettext_lazy("stored message", "iccid: only digits"),
    pgettext_lazy("stored message", "file: the file is empty"),
    pgettext_lazy("stored message", "file: not UTF-8 text"),
    pgettext_lazy(
        "stored message", "rate_plans: choose at least one plan, or leave it out for all"
    ),
]

# Messages with values, in the order they are tried.
PATTERNS = [
    pgettext_lazy("stored message", "line %(line)s: %(message)s"),
    pgettext_lazy("stored message", "job %(job)s: %(message)s"),
    pgettext_lazy("stored message", "failed: %(message)s"),
    pgettext_lazy("stored message", "line %(line)s is longer than %(size)s KB"),
    pgettext_lazy("stored message", "expected %(expected)s fields, got %(got)s"),
    pgettext_lazy("stored message", "the header must be %(columns)s (%(problems)s)"),
    pgettext_lazy("stored message", "msisdn must be 6 to 20 digits, got %(value)s"),
    pgettext_lazy("stored message", "started_at is not an ISO 8601 timestamp: %(value)s"),
    pgettext_lazy("stored message", "started_at needs a UTC offset: %(value)s"),
    pgettext_lazy("stored message", "started_at is out of range: %(value)s"),
    pgettext_lazy("stored message", "record_type must be voice, sms or data, got %(value)s"),
    pgettext_lazy("stored message", "zone must be national, eu or international, got %(value)s"),
    pgettext_lazy("stored message", "provider_cost is not a decimal with '.': %(value)s"),
    pgettext_lazy("stored message", "provider_cost has more than 4 decimals: %(value)s"),
    pgettext_lazy("stored message", "provider_cost is too large: %(value)s"),
    pgettext_lazy("stored message", "%(field)s must be a whole number >= 0, got %(value)s"),
    pgettext_lazy("stored message", "%(field)s is too large: %(value)s"),
    pgettext_lazy("stored message", "the record is not a JSON object: %(value)s"),
    pgettext_lazy("stored message", "no active %(addon)s addon to cancel"),
    pgettext_lazy("stored message", "%(message)s (whether Nina applied it is checked again)"),
    pgettext_lazy("stored message", "%(message)s; Nina never applied it"),
    pgettext_lazy("stored message", "at most %(limit)s months at once, asked for %(asked)s"),
    pgettext_lazy("stored message", "rate plan %(plan)s has no price for %(names)s"),
    pgettext_lazy("stored message", "rate plan %(plan)s is invalid: %(reason)s"),
    pgettext_lazy(
        "stored message",
        "rate plan %(plan)s has no version for %(month)s: its first version holds from %(first)s",
    ),
    pgettext_lazy("stored message", "rate plan %(plan)s has no version for %(month)s"),
    pgettext_lazy("stored message", "customer %(customer)s has no rate plan"),
    # A rate-plan simulation refused, or a plan it could not price (usage/billing/simulation.py).
    pgettext_lazy("stored message", "rate plan %(plan)s no longer exists"),
    pgettext_lazy("stored message", "rate_plans: choose at most %(limit)s plans, got %(count)s"),
    pgettext_lazy("stored message", "rate_plans: no such rate plan: %(codes)s"),
    pgettext_lazy(
        "stored message", "there are %(count)s rate plans: choose at most %(limit)s in rate_plans"
    ),
    pgettext_lazy("stored message", "no rate plan has a version for %(month)s"),
    pgettext_lazy("stored message", "%(month)s has not been calculated yet: recalculate it first"),
    pgettext_lazy("stored message", "%(month)s has not been calculated yet"),
    pgettext_lazy(
        "stored message",
        "the totals are at version %(current)s, not %(version)s: nothing to back up",
    ),
    pgettext_lazy("stored message", "the sync profile's settings lack %(setting)s"),
    pgettext_lazy("stored message", "the drop folder %(path)s does not exist"),
    pgettext_lazy("stored message", "the provider refused the credentials (HTTP %(status)s)"),
    pgettext_lazy("stored message", "the provider answered %(answer)s"),
    pgettext_lazy("stored message", "the provider is unavailable: %(reason)s"),
    pgettext_lazy("stored message", "the provider's page %(page)s points back to page %(earlier)s"),
    pgettext_lazy("stored message", "worker %(worker)s stopped responding"),
    pgettext_lazy("stored message", "worker lost %(count)s times"),
    pgettext_lazy("stored message", "kind must be one of %(choices)s"),
    pgettext_lazy("stored message", "format must be one of %(choices)s"),
    pgettext_lazy("stored message", "addon_type must be one of %(choices)s"),
    pgettext_lazy("stored message", "at most %(count)s characters"),
    pgettext_lazy("stored message", "not a field of a %(provider)s profile"),
    pgettext_lazy(
        "stored message", "the drop folder must lie under the drop root %(root)s (links resolved)"
    ),
    pgettext_lazy(
        "stored message",
        "%(host)s is a loopback, link-local or private address, which providers may not be "
        "(TELCOST_ALLOW_PRIVATE_PROVIDER_URLS)",
    ),
    pgettext_lazy("stored message", "%(host)s does not resolve"),
    pgettext_lazy(
        "stored message",
        "not a cron expression of five fields (minute hour day month weekday), "
        "e.g. 0 3 * * *: %(value)s",
    ),
    pgettext_lazy("stored message", "names no time that ever comes: %(value)s"),
    pgettext_lazy("stored message", "the first page of %(month)s holds %(count)s records"),
    pgettext_lazy("stored message", "the drop folder holds %(count)s CSV files"),
    pgettext_lazy("stored message", "the drop folder %(path)s cannot be read"),
    pgettext_lazy("stored message", "%(field)s: not a date (YYYY-MM-DD): %(value)s"),
    pgettext_lazy("stored message", "cost_center_code: no cost center %(code)s"),
    pgettext_lazy("stored message", "%(field)s: longer than %(limit)s characters"),
    pgettext_lazy("stored message", "%(field)s: contains a NUL character"),
    pgettext_lazy("stored message", "line: %(expected)s columns expected, found %(found)s"),
    pgettext_lazy("stored message", "file: the first line must be %(columns)s"),
    pgettext_lazy("stored message", "file: not CSV (%(reason)s)"),
]

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# "SyncProfileCommand: the provider could not be reached": a step's name before the message.
_STEP_PREFIX = re.compile(r"(?P<step>[A-Z][A-Za-z0-9]+): (?P<message>.+)", re.DOTALL)


def msgids(messages: list) -> list[str]:
    """The English texts of SENTENCES or PATTERNS."""
    with translation.override(None):
        return [str(message) for message in messages]


@cache
def _compiled() -> list[tuple[re.Pattern, str]]:
    compiled = []
    for msgid in msgids(PATTERNS):
        parts = _PLACEHOLDER.split(msgid)  # text, name, text, name, ..., text
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        compiled.append((re.compile(regex, re.DOTALL), msgid))
    return compiled


def _value(name: str, value: str) -> str:
    if name == "message":
        return reader_text(value)
    if name == "addon":
        return addon_label(value)
    return value


def reader_text(text) -> str:
    """The stored message in the active language (see the module's docstring); "" stays ""."""
    if not text:
        return "" if text is None else text
    text = str(text)
    for translated in (
        pgettext(CONTEXT, text),
        gettext(text),
    ):  # gettext: the catalogue's other sentences
        if translated != text:
            return translated
    step = _STEP_PREFIX.fullmatch(text)
    if step:
        return f"{step_label(step['step'])}: {reader_text(step['message'])}"
    for regex, msgid in _compiled():
        match = regex.fullmatch(text)
        if match:
            return pgettext(CONTEXT, msgid) % {
                name: _value(name, value) for name, value in match.groupdict().items()
            }
    return text
