"""The rate plan document of SPEC.md, validated into a typed model.

Money arrives as decimal strings (or numbers) and stays Decimal. Rating reads
plans only through rate_plan_parse, so a stored plan is checked the same way an
uploaded one is.
"""

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ZoneName = Literal["national", "eu", "international"]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=6)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VoiceRates(_Strict):
    setup_fee: Money = Decimal("0")
    initial_increment_s: int = Field(ge=1, le=3600)
    subsequent_increment_s: int = Field(ge=1, le=3600)
    per_minute: dict[ZoneName, Money]


class SmsRates(_Strict):
    per_message: dict[ZoneName, Money]


class DataRates(_Strict):
    increment_kb: int = Field(ge=1, le=1024 * 1024)
    per_mb: dict[ZoneName, Money]


class Bundle(_Strict):
    voice_minutes: int = Field(ge=0, le=10_000_000)
    sms: int = Field(ge=0, le=10_000_000)
    data_mb: int = Field(ge=0, le=100_000_000)
    zones: list[ZoneName]

    @field_validator("zones")
    @classmethod
    def _unique(cls, zones: list[str]) -> list[str]:
        if len(set(zones)) != len(zones):
            raise ValueError("bundle zones must not repeat")
        return zones


class RatePlanModel(_Strict):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    monthly_fee: Money
    voice: VoiceRates
    sms: SmsRates
    data: DataRates
    bundle: Bundle = Field(
        default_factory=lambda: Bundle(voice_minutes=0, sms=0, data_mb=0, zones=[])
    )

    @model_validator(mode="after")
    def _some_zone_priced(self) -> "RatePlanModel":
        for kind, prices in (
            ("voice", self.voice.per_minute),
            ("sms", self.sms.per_message),
            ("data", self.data.per_mb),
        ):
            if not prices:
                raise ValueError(f"{kind} prices no zone at all")
        return self

    def price_of(self, record_type: str, zone: str) -> Decimal | None:
        table = {
            "voice": self.voice.per_minute,
            "sms": self.sms.per_message,
            "data": self.data.per_mb,
        }[record_type]
        return table.get(zone)


def rate_plan_parse(definition: dict) -> RatePlanModel:
    """Validate a rate plan document; pydantic.ValidationError names what is wrong."""
    return RatePlanModel.model_validate(definition)


def rate_plan_document(plan: RatePlanModel) -> dict:
    """The plan as JSON with money as strings (how it is stored and answered)."""
    return plan.model_dump(mode="json")
