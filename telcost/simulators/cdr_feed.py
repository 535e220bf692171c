"""Deterministic CDRs of an account and month, as the provider and Nina simulators serve them."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TYPES = ["voice", "voice", "sms", "data"]
ZONES = ["national", "national", "national", "eu", "international"]


def feed_records(account: str, month: str, count: int) -> list[dict]:
    year, mon = (int(p) for p in month.split("-"))
    start = dt.datetime(year, mon, 1, tzinfo=AMSTERDAM)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=AMSTERDAM)
    span = int((end - start).total_seconds()) - 1
    rng = random.Random(f"{account}-{month}")
    base = 31650000000 + sum(map(ord, account)) * 100  # stable across processes, unlike hash()
    records = []
    for i in range(count):
        record_type, zone = rng.choice(TYPES), rng.choice(ZONES)
        duration = rng.randrange(0, 600) if record_type == "voice" else 0
        volume = rng.randrange(1, 50_000) if record_type == "data" else 0
        records.append({
            "external_id": f"{account}-{month}-{i:07d}",
            "msisdn": str(base + i % 25),
            "started_at": (start + dt.timedelta(seconds=rng.randrange(span))).isoformat(),
            "record_type": record_type,
            "zone": zone,
            "destination": "31201234567",
            "duration_s": duration,
            "volume_kb": volume,
            "provider_cost": f"{rng.randrange(0, 5000) / 10000:.4f}",
        })
    return records


def feed_page(account: str, month: str, count: int, page: int, page_size: int, malformed: bool = False) -> dict:
    records = feed_records(account, month, count)[(page - 1) * page_size: page * page_size]
    if malformed and records:
        records[0] = {**records[0], "started_at": "not a time", "record_type": "fax"}
    more = page * page_size < count
    return {"records": records, "next_page": page + 1 if more else None}
