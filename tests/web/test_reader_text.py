"""Stored English messages in the reader's language (issue 17.2): errors, reasons, refusals."""

import io
import re

import pytest
from django.utils import translation

from telcost.core.cdr_format import ImportRefused, csv_rows, parse_row
from telcost.usage.imports.devices import refused_device_reason
from telcost.web.reader_text import CONTEXT, PATTERNS, SENTENCES, msgids, reader_text
from tests.web.catalogue import LOCALE, read_po

GOOD = [
    "e1",
    "31611111111",
    "2026-09-01T10:00:00+02:00",
    "voice",
    "national",
    "x",
    "60",
    "0",
    "0.1000",
]


def _bad(index: int, value: str) -> list[str]:
    values = list(GOOD)
    values[index] = value
    return values


def _reasons() -> list[str]:
    """Real reasons, raised by the code itself: the patterns must keep up with their wording."""
    rows = [
        _bad(0, ""),
        _bad(0, "x" * 101),
        _bad(1, "12"),
        _bad(2, "yesterday"),
        _bad(2, "2026-09-01T10:00:00"),
        _bad(3, "fax"),
        _bad(4, "mars"),
        _bad(5, "x" * 65),
        _bad(6, "-1"),
        _bad(6, "9" * 12),
        _bad(8, "1,5"),
        _bad(8, "0.12345"),
        _bad(8, "1" * 14),
        _bad(5, "\x00"),
    ]
    reasons = []
    for values in rows:
        with pytest.raises(ValueError) as raised:
            parse_row(1, values)
        reasons.append(str(raised.value))
    for body in (b"", b"\xff\xfe", b"a,b\n"):
        with pytest.raises(ImportRefused) as raised:
            list(csv_rows(io.BytesIO(body)))
        reasons.append(str(raised.value))
    return reasons + [refused_device_reason(True), refused_device_reason(False)]


def test_every_reason_an_import_gives_is_dutch_on_a_dutch_page():
    with translation.override("nl"):
        for reason in _reasons():
            assert reader_text(reason) != reason, (
                f"no Dutch for {reason!r} (telcost/web/reader_text.py)"
            )


def test_english_readers_get_the_stored_message_back():
    with translation.override("en"):
        for reason in _reasons():
            assert reader_text(reason) == reason


@pytest.mark.parametrize(
    ("stored", "dutch"),
    [
        ("Too many requests", "Te veel verzoeken"),
        (
            "CalculateTotalsCommand: the totals of this month have not been calculated",
            "Totalen berekenen: de totalen van deze maand zijn nog niet berekend",
        ),
        (
            "SyncProfileCommand: line 3: expected 9 fields, got 8",
            "CDR's ophalen bij de provider: regel 3: 9 velden verwacht, 8 gekregen",
        ),
        (
            "ActivateRoutitAddonsCommand: no active data_boost addon to cancel",
            "Addon activeren bij Routit: geen actieve addon Databoost 5 GB om op te zeggen",
        ),
        ("SaveStatusCommand: worker lost 3 times", "Status opslaan: worker 3 keer kwijtgeraakt"),
        (
            "TypeError: unsupported operand",
            "TypeError: unsupported operand",
        ),  # not a step: as it is
        ("msisdn must be 6 to 20 digits, got '12'", "msisdn moet 6 tot 20 cijfers zijn, niet '12'"),
        ("failed: Connection refused", "mislukt: Connection refused"),
        ("something nobody wrote a translation for", "something nobody wrote a translation for"),
        ("", ""),
    ],
)
def test_stored_messages_in_dutch(stored, dutch):
    with translation.override("nl"):
        assert reader_text(stored) == dutch


def test_every_sentence_and_pattern_has_a_dutch_translation_with_the_same_values():
    nl = read_po(LOCALE / "nl" / "LC_MESSAGES" / "django.po")
    for msgid in msgids(SENTENCES + PATTERNS):
        dutch = nl.get(f"{CONTEXT}\x04{msgid}")
        assert dutch, f"{msgid!r} has no Dutch translation"
        assert sorted(re.findall(r"%\((\w+)\)s", msgid)) == sorted(
            re.findall(r"%\((\w+)\)s", dutch)
        ), msgid


def test_the_apis_sync_errors_do_not_take_the_pages_translations():
    # The sync status API translates only plain catalogue sentences; the pages' have a context.
    from telcost.syncs.selectors import error_in_reader_language

    stored = "SyncProfileCommand: the provider's answer was not a page of records"
    with translation.override("nl"):
        assert error_in_reader_language(stored) == stored
        assert reader_text(stored) == (
            "CDR's ophalen bij de provider: "
            "het antwoord van de provider was geen pagina met records"
        )
