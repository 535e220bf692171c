"""Deterministic CDRs of an account and month, as the provider and Nina simulators serve them."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TYPES = ["voice", "voice", "sms", "data"]
ZONES = ["national", "national", "national", "eu", "international"]


def feed_record(account: str, month: str, i: int, start: dt.datetime, span: int) -> dict:
    # Seeded per record: any page is produced without generating the ones before it.
    rng = random.Random(f"{account}-{month}-{i}")
    base = 31650000000 + sum(map(ord, account)) * 100  # stable across processes, unlike hash()
    record_type, zone = rng.choice(TYPES), rng.choice(ZONES)
    return {
        "external_id": f"{account}-{month}-{i:07d}",
        "msisdn": str(base + i % 25),
        "started_at": (start + dt.timedelta(seconds=rng.randrange(span))).isoformat(),
        "record_type": record_type,
        "zone": zone,
        "destination": "31201234567",
        "duration_s": rng.randrange(0, 600) if record_type == "voice" else 0,
        "volume_kb": rng.randrange(1, 50_000) if record_type == "data" else 0,
        "provider_cost": f"{rng.randrange(0, 5000) / 10000:.4f}",
    }


def _month_bounds(month: str) -> tuple[dt.datetime, int]:
    year, mon = (int(p) for p in month.split("-"))
    start = dt.datetime(year, mon, 1, tzinfo=AMSTERDAM)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=AMSTERDAM)
    return start, int((end - start).total_seconds()) - 1


def feed_records(account: str, month: str, count: int, first: int = 0) -> list[dict]:
    start, span = _month_bounds(month)
    return [feed_record(account, month, i, start, span) for i in range(first, count)]


def feed_page(account: str, month: str, count: int, page: int, page_size: int, malformed: bool = False) -> dict:
    records = feed_records(account, month, min(count, page * page_size), first=(page - 1) * page_size)
    if malformed and records:
        records[0] = {**records[0], "started_at": "not a time", "record_type": "fax"}
    more = page * page_size < count
    return {"records": records, "next_page": page + 1 if more else None}
