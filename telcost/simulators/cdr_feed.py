"""Deterministic CDRs of an account and month, as the provider and Nina simulators serve them."""

import datetime as dt
from hashlib import blake2b
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TYPES = ["voice", "voice", "sms", "data"]
ZONES = ["national", "national", "national", "eu", "international"]


def feed_record(account: str, month: str, i: int, start: dt.datetime, span: int) -> dict:
    # Derived from a hash of the record's name: any page is produced without generating the ones
    # before it, the same in every process (unlike hash()), and cheap enough that a simulated
    # provider serving a million records does not cost more than the import it feeds.
    bits = int.from_bytes(blake2b(f"{account}-{month}-{i}".encode(), digest_size=16).digest())
    bits, record_type = divmod(bits, len(TYPES))
    bits, zone = divmod(bits, len(ZONES))
    bits, offset_s = divmod(bits, span)
    bits, amount = divmod(bits, 600)
    bits, cost = divmod(bits, 5000)
    record_type = TYPES[record_type]
    base = 31650000000 + sum(map(ord, account)) * 100
    return {
        "external_id": f"{account}-{month}-{i:07d}",
        "msisdn": str(base + i % 25),
        "started_at": (start + dt.timedelta(seconds=offset_s)).isoformat(),
        "record_type": record_type,
        "zone": ZONES[zone],
        "destination": "31201234567",
        "duration_s": amount if record_type == "voice" else 0,
        "volume_kb": 1 + bits % 49_999 if record_type == "data" else 0,
        "provider_cost": f"0.{cost:04d}",
    }


def _month_bounds(month: str) -> tuple[dt.datetime, int]:
    year, mon = (int(p) for p in month.split("-"))
    start = dt.datetime(year, mon, 1, tzinfo=AMSTERDAM)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=AMSTERDAM)
    return start, int((end - start).total_seconds()) - 1


def feed_records(account: str, month: str, count: int, first: int = 0) -> list[dict]:
    start, span = _month_bounds(month)
    return [feed_record(account, month, i, start, span) for i in range(first, count)]


def feed_page(
    account: str, month: str, count: int, page: int, page_size: int, malformed: bool = False
) -> dict:
    records = feed_records(
        account, month, min(count, page * page_size), first=(page - 1) * page_size
    )
    if malformed and records:
        records[0] = {**records[0], "started_at": "not a time", "record_type": "fax"}
    more = page * page_size < count
    return {"records": records, "next_page": page + 1 if more else None}
