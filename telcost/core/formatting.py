"""How a page writes numbers, money, durations and volumes (SPEC part 2, "Pages, language and
formats").

Pure functions of a value and a NumberStyle, so a table of 18,000 rows asks the
language for its style once (number_style: Django's localisation of the active
language) and formats each cell without a lookup. Pages use them through the
template filters of telcost/web/templatetags/telcost_formats.py:

    nl  € 7.482,31   12.345   58:58:37   16,97 GB
    en  €7,482.31    12,345   58:58:37   16.97 GB

Screens round money to 2 decimals (half up, as an invoice does); the API and the
exports keep the stored 4. Volumes are stored in KB; 1 MB = 1024 KB and
1 GB = 1024 MB, as rating counts a bundle's MB.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import formats
from django.utils.translation import get_language

KB_PER_MB = 1024
KB_PER_GB = 1024 * KB_PER_MB

# Where the euro sign and a minus go: Dutch writes "€ -12,50", English "-€12.50".
MONEY_PATTERNS = {"nl": "€ {sign}{amount}", "en": "{sign}€{amount}"}


@dataclass(frozen=True)
class NumberStyle:
    decimal_separator: str = ","
    thousands_separator: str = "."
    money_pattern: str = MONEY_PATTERNS["nl"]


def number_style(language: str | None = None) -> NumberStyle:
    """The active (or given) language's separators (Django's localisation) and money pattern."""
    language = (language or get_language() or "nl").split("-")[0]
    return NumberStyle(
        decimal_separator=formats.get_format("DECIMAL_SEPARATOR", language, use_l10n=True),
        thousands_separator=formats.get_format("THOUSAND_SEPARATOR", language, use_l10n=True),
        money_pattern=MONEY_PATTERNS.get(language, MONEY_PATTERNS["nl"]),
    )


def as_decimal(value) -> Decimal | None:
    """A Decimal of a number or of its text ("7482.3056"); None for nothing, words, NaN or
    infinity."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    if isinstance(value, int):
        return Decimal(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


_STEPS = {places: Decimal(1).scaleb(-places) for places in range(9)}


def _unsigned(number: Decimal, style: NumberStyle, places: int) -> tuple[str, str]:
    """(sign, digits) of number rounded half up to `places` decimals, with the style's separators.

    Python's "," format groups the digits; the separators are then swapped for the style's
    (a table of 18,000 rows formats its cells in milliseconds this way).
    """
    rounded = number.quantize(
        _STEPS.get(places) or Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )
    sign = "-" if rounded < 0 else ""  # never "-0,00"
    text = format(abs(rounded), f",.{places}f")
    return sign, text.replace(",", "\0").replace(".", style.decimal_separator).replace(
        "\0", style.thousands_separator
    )


def number_text(value, style: NumberStyle, places: int = 0) -> str:
    """A number with thousands separators and `places` decimals ("7.482,31"); "" for no number."""
    number = as_decimal(value)
    if number is None:
        return "" if value is None else str(value)
    sign, digits = _unsigned(number, style, places)
    return sign + digits


def count_text(value, style: NumberStyle) -> str:
    """A whole count with thousands separators ("18.000")."""
    return number_text(value, style, 0)


def money_text(value, style: NumberStyle, places: int = 2) -> str:
    """An amount in euros as the language writes it ("€ 7.482,31" / "€7,482.31"); "" for no
    amount."""
    number = as_decimal(value)
    if number is None:
        return "" if value is None else str(value)
    sign, digits = _unsigned(number, style, places)
    return style.money_pattern.format(sign=sign, amount=digits)


def percent_text(value, style: NumberStyle, places: int = 1) -> str:
    """A percentage ("12,5%")."""
    text = number_text(value, style, places)
    return f"{text}%" if text else ""


def duration_text(seconds) -> str:
    """Seconds as h:mm:ss ("58:58:37"), hours not wrapped at a day; "" for no number."""
    number = as_decimal(seconds)
    if number is None:
        return "" if seconds is None else str(seconds)
    total = int(number.to_integral_value(rounding=ROUND_HALF_UP))
    sign, total = ("-" if total < 0 else ""), abs(total)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}"


def volume_text(kb, style: NumberStyle) -> str:
    """KB as MB below a GB, else GB, 2 decimals ("17,38 MB", "16,97 GB"); 0 is "0 MB"."""
    number = as_decimal(kb)
    if number is None:
        return "" if kb is None else str(kb)
    if number == 0:
        return "0 MB"
    if abs(number) < KB_PER_GB:
        return f"{number_text(number / KB_PER_MB, style, 2)} MB"
    return f"{number_text(number / KB_PER_GB, style, 2)} GB"
