"""The rate plan editor: a form per section of the rate plan document (SPEC part 1), not JSON.

The bounds of every number are read from the document's model (rate_plans.py), so the form and
the API refuse the same values; the form only says so in the reader's language, next to the
field. The service (rate_plan_version_add) validates the document again and has the last word.
"""

import datetime as dt
import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from telcost.customers.rate_plans import (
    Bundle,
    DataRates,
    Money,
    RatePlanModel,
    VoiceRates,
)

# The zones as the usage pages name them (the same catalogue entries).
ZONES = (
    ("national", pgettext_lazy("zone", "National")),
    ("eu", "EU"),
    ("international", pgettext_lazy("zone", "International")),
)
# Each section's zone prices: (form field prefix, the document's path).
ZONE_PRICES = (
    ("voice_per_minute", ("voice", "per_minute")),
    ("sms_per_message", ("sms", "per_message")),
    ("data_per_mb", ("data", "per_mb")),
)
# The editor's integer fields: form field -> (the document's path, the model that bounds it).
INTEGERS = {
    "voice_initial_increment_s": (("voice", "initial_increment_s"), VoiceRates),
    "voice_subsequent_increment_s": (("voice", "subsequent_increment_s"), VoiceRates),
    "data_increment_kb": (("data", "increment_kb"), DataRates),
    "bundle_voice_minutes": (("bundle", "voice_minutes"), Bundle),
    "bundle_sms": (("bundle", "sms"), Bundle),
    "bundle_data_mb": (("bundle", "data_mb"), Bundle),
}
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _bound(metadata, name: str):
    return next((getattr(m, name) for m in metadata if getattr(m, name, None) is not None), None)


def _money_field(label, *, required: bool = True) -> forms.DecimalField:
    metadata = Money.__metadata__[0].metadata
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=_bound(metadata, "ge"),
        max_digits=_bound(metadata, "max_digits"),
        decimal_places=_bound(metadata, "decimal_places"),
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
    )


def _integer_field(label, model, name: str) -> forms.IntegerField:
    metadata = model.model_fields[name].metadata
    return forms.IntegerField(
        label=label,
        min_value=_bound(metadata, "ge"),
        max_value=_bound(metadata, "le"),
        widget=forms.NumberInput(attrs={"size": 8}),
    )


def _month(text: str) -> dt.date | None:
    match = MONTH.match(text or "")
    if match is None or not 1 <= int(match[2]) <= 12:
        return None
    return dt.date(int(match[1]), int(match[2]), 1)


class RatePlanVersionForm(forms.Form):
    """One version of a plan: the month it holds from and every section of the document."""

    valid_from = forms.CharField(
        label=_("Valid from (month)"),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=_bound(RatePlanModel.model_fields["name"].metadata, "max_length"),
    )
    monthly_fee = _money_field(_("Monthly fee per device (€)"))
    voice_setup_fee = _money_field(_("Setup fee per answered call (€)"))
    voice_initial_increment_s = _integer_field(
        _("First increment (seconds)"), VoiceRates, "initial_increment_s"
    )
    voice_subsequent_increment_s = _integer_field(
        _("Next increments (seconds)"), VoiceRates, "subsequent_increment_s"
    )
    data_increment_kb = _integer_field(_("Increment (KB)"), DataRates, "increment_kb")
    bundle_voice_minutes = _integer_field(_("Voice minutes"), Bundle, "voice_minutes")
    bundle_sms = _integer_field(_("SMS messages"), Bundle, "sms")
    bundle_data_mb = _integer_field(_("Data (MB)"), Bundle, "data_mb")
    bundle_zones = forms.MultipleChoiceField(
        label=_("Zones the bundle covers"),
        choices=ZONES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, code: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.plan_code = code
        # A zone left empty has no price: a CDR in it fails the month's rating, naming it.
        for prefix, _path in ZONE_PRICES:
            for zone, zone_label in ZONES:
                self.fields[f"{prefix}_{zone}"] = _money_field(zone_label, required=False)

    def clean_valid_from(self) -> dt.date:
        month = _month(self.cleaned_data["valid_from"].strip())
        if month is None:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-11."))
        return month

    def clean(self) -> dict:
        cleaned = super().clean()
        # The document's own rule (rate_plans.py), said here next to the section in the reader's
        # language: every kind of usage has a price in some zone.
        for prefix, _path in ZONE_PRICES:
            names = [f"{prefix}_{zone}" for zone, _label in ZONES]
            if all(cleaned.get(n) is None for n in names) and not any(
                n in self.errors for n in names
            ):
                self.add_error(names[0], _("Give a price for at least one zone."))
        return cleaned

    def zone_fields(self, prefix: str) -> list:
        return [self[f"{prefix}_{zone}"] for zone, _label in ZONES]

    def sections(self) -> dict:
        """The bound fields per section, as the template lays them out."""
        return {
            "voice_zones": self.zone_fields("voice_per_minute"),
            "sms_zones": self.zone_fields("sms_per_message"),
            "data_zones": self.zone_fields("data_per_mb"),
        }

    def document(self) -> dict:
        """The rate plan document of the cleaned form (money as text, as the API takes it)."""
        data = self.cleaned_data

        def prices(prefix: str) -> dict:
            return {
                zone: str(data[f"{prefix}_{zone}"])
                for zone, _label in ZONES
                if data.get(f"{prefix}_{zone}") is not None
            }

        return {
            "code": self.plan_code or data["code"],
            "name": data["name"],
            "monthly_fee": str(data["monthly_fee"]),
            "voice": {
                "setup_fee": str(data["voice_setup_fee"]),
                "initial_increment_s": data["voice_initial_increment_s"],
                "subsequent_increment_s": data["voice_subsequent_increment_s"],
                "per_minute": prices("voice_per_minute"),
            },
            "sms": {"per_message": prices("sms_per_message")},
            "data": {"increment_kb": data["data_increment_kb"], "per_mb": prices("data_per_mb")},
            "bundle": {
                "voice_minutes": data["bundle_voice_minutes"],
                "sms": data["bundle_sms"],
                "data_mb": data["bundle_data_mb"],
                "zones": [zone for zone, _label in ZONES if zone in data["bundle_zones"]],
            },
        }

    def refuse(self, message: str) -> None:
        """Put the service's refusal ("field.path: reason; …") next to the fields it names."""
        for part in message.split("; "):
            path, _sep, reason = part.partition(": ")
            field = _field_of(path.strip())
            self.add_error(field if field in self.fields else None, reason or part)


def _field_of(path: str) -> str | None:
    """The form field of a document path: voice.per_minute.eu -> voice_per_minute_eu; a
    section's zone table (voice.per_minute) -> its first zone's field."""
    if path in ("valid_from", "name", "monthly_fee"):
        return path
    field = path.replace(".", "_")
    for prefix, document_path in ZONE_PRICES:
        if path == ".".join(document_path) or path == document_path[0]:
            return f"{prefix}_national"
    return field


def initial_of(definition: dict, valid_from: dt.date) -> dict:
    """The form's initial values from a version's document (the editor starts from the latest)."""
    initial = {
        "valid_from": f"{valid_from:%Y-%m}",
        "name": definition.get("name", ""),
        "monthly_fee": Decimal(str(definition.get("monthly_fee", "0"))),
        "voice_setup_fee": Decimal(str(definition.get("voice", {}).get("setup_fee", "0"))),
        "bundle_zones": definition.get("bundle", {}).get("zones", []),
    }
    for field, (path, _model) in INTEGERS.items():
        initial[field] = definition.get(path[0], {}).get(path[1])
    for prefix, (section, table) in ZONE_PRICES:
        for zone, price in definition.get(section, {}).get(table, {}).items():
            initial[f"{prefix}_{zone}"] = Decimal(str(price))
    return initial


class RatePlanNewForm(RatePlanVersionForm):
    """A new plan: its code, and the sections of its first version."""

    code = forms.RegexField(
        label=_("Code"),
        regex=RatePlanModel.model_fields["code"].metadata[-1].pattern,
        max_length=_bound(RatePlanModel.model_fields["code"].metadata, "max_length"),
        error_messages={"invalid": _("Use letters, digits, - and _ only.")},
    )
    field_order = ["code"]

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip()


# What a new plan starts from: per-second billing after the first minute, data per 100 KB.
NEW_PLAN_INITIAL = {
    "valid_from": "2000-01",
    "monthly_fee": Decimal("0"),
    "voice_setup_fee": Decimal("0"),
    "voice_initial_increment_s": 60,
    "voice_subsequent_increment_s": 1,
    "data_increment_kb": 100,
    "bundle_voice_minutes": 0,
    "bundle_sms": 0,
    "bundle_data_mb": 0,
}
