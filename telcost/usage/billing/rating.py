"""CalculateTotalsRateplan: price every CDR of a customer's cycle by its rate plan, in one UPDATE.

SPEC.md "Rating" is the contract. Per device and cycle the CDRs are taken in
(started_at, external_id) order; window functions give each CDR the bundle
allowance its predecessors used, so the whole month is priced set-based.

pricing_sql builds that pricing (the WITH chain units → taking → used → covered → priced) once,
for one plan or several side by side over the same sorted rows, and two statements are made of
it: rating_sql's UPDATE, which stores the costs of the customer's own plan, and the rate-plan
simulation's SUM per device (simulation.py), which writes nothing. So a simulated plan costs
exactly what rating by it would store.
"""

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction
from django.db.models import Q

from telcost.core.money import e4_of, half_up_div, to_micro
from telcost.customers.models import Customer, RatePlan
from telcost.customers.rate_plans import RatePlanModel, rate_plan_parse
from telcost.customers.selectors import rate_plan_first_version, rate_plan_version_for
from telcost.jobs.errors import PermanentError
from telcost.usage.models import CDR
from telcost.usage.sql import dialect

ZONES = ("national", "eu", "international")


def unpriced_zones(plan: RatePlanModel, customer_id: int, cycle_start: dt.date) -> str:
    """The record types and zones the cycle has CDRs of but the plan no price for, named ("" when
    none: the plan can price the cycle).

    Only the unpriced pairs are looked for, so a plan that prices every zone costs no scan.
    """
    unpriced = [
        (rt, zone)
        for rt in ("voice", "sms", "data")
        for zone in ZONES
        if plan.price_of(rt, zone) is None
    ]
    if not unpriced:
        return ""
    wanted = Q()
    for rt, zone in unpriced:
        wanted |= Q(record_type=rt, zone=zone)
    used = set(
        CDR.objects.filter(wanted, customer_id=customer_id, cycle_start=cycle_start)
        .values_list("record_type", "zone")
        .distinct()
    )
    return ", ".join(f"{rt} in zone '{zone}'" for rt, zone in sorted(used))


def _check_zones(plan: RatePlanModel, customer_id: int, cycle_start: dt.date) -> None:
    """Fail, naming them, if the cycle has CDRs of a type and zone the plan has no price for."""
    missing = unpriced_zones(plan, customer_id, cycle_start)
    if missing:
        raise PermanentError(f"rate plan {plan.code} has no price for {missing}")


# How a CDR's record type and zone are named: as stored (reading the CDR row), or as the small
# integers the chain carries through its sort (after it).
_STORED = {
    "type": "record_type",
    "zone": "zone",
    "types": {"voice": "'voice'", "sms": "'sms'", "data": "'data'"},
    "zones": {"national": "'national'", "eu": "'eu'", "international": "'international'"},
}
_CODED = {
    "type": "type_code",
    "zone": "zone_code",
    "types": {"voice": "1", "sms": "2", "data": "3"},
    "zones": {"national": "1", "eu": "2", "international": "3"},
}


def _rate_case(plan: RatePlanModel, params: list, names: dict = _CODED) -> str:
    """SQL: the CDR's price per unit (minute, message, MB) in micro-euros; 0 where unpriced."""
    parts = []
    for record_type in ("voice", "sms", "data"):
        for zone in ZONES:
            price = plan.price_of(record_type, zone)
            if price is not None:
                parts.append(
                    f"WHEN {names['type']} = {names['types'][record_type]} AND "
                    f"{names['zone']} = {names['zones'][zone]} THEN CAST(%s AS BIGINT)"
                )
                params.append(to_micro(price))
    return "CASE " + " ".join(parts) + " ELSE 0 END"


def _billable_sql(plan: RatePlanModel, names: dict) -> str:
    """SQL: the CDR's billable units (SPEC "Rating"): seconds, 1 message, or KB."""
    init, sub = plan.voice.initial_increment_s, plan.voice.subsequent_increment_s
    inc = plan.data.increment_kb
    kind, kinds = names["type"], names["types"]
    return f"""CASE
                     WHEN {kind} = {kinds["voice"]} THEN
                       CASE WHEN duration_s = 0 THEN 0
                            WHEN duration_s <= {init} THEN {init}
                            ELSE {init} + ((duration_s - {init} + {sub} - 1) / {sub}) * {sub} END
                     WHEN {kind} = {kinds["sms"]} THEN 1
                     ELSE ((volume_kb + {inc} - 1) / {inc}) * {inc}
                   END"""


def _allowance_sql(plan: RatePlanModel, data_boost_mb: int, names: dict) -> str:
    """SQL: the bundle's allowance of the CDR's type for the cycle; 0 outside its zones."""
    zones = ", ".join(names["zones"][z] for z in plan.bundle.zones) or "NULL"
    kind, kinds = names["type"], names["types"]
    return f"""CASE WHEN {names["zone"]} NOT IN ({zones}) THEN 0
                        WHEN {kind} = {kinds["voice"]} THEN {plan.bundle.voice_minutes * 60}
                        WHEN {kind} = {kinds["sms"]} THEN {plan.bundle.sms}
                        ELSE {(plan.bundle.data_mb + data_boost_mb) * 1024} END"""


# The running sum is the hot loop of rating. Summing INTEGER (a BIGINT result) is much
# cheaper than summing BIGINT (a NUMERIC result) on PostgreSQL, so each CDR takes at most
# allowance + 1 from its bundle: a CDR bigger than the whole allowance exhausts it either
# way, so it and every later CDR are covered exactly as an uncapped sum would cover them.
# Plans whose allowance does not fit an INTEGER sum BIGINTs.
INT_MAX = 2**31 - 1

# The columns a statement made of pricing_sql can carry from the CDR row to `priced`, beside each
# plan's cost_e4_<n>: how the row is found again (rating's UPDATE), its stored cost in e4 (to
# write only the costs that change) and its device (the simulation's sum per device).
CARRIED = ("locator", "old_e4", "device_id")


def _carried_source(column: str) -> str:
    sql_dialect = dialect()
    return {
        "locator": f"{sql_dialect.row_locator} AS locator",
        "old_e4": f"{e4_of('cost')} AS old_e4",
        "device_id": "device_id",
    }[column]


def pricing_sql(
    plans: Sequence[RatePlanModel],
    *,
    customer_id: int,
    cycle_start: dt.date,
    data_boost_mb: int,
    carry: Sequence[str],
    part: tuple[int, int] | None = None,
) -> tuple[str, list]:
    """The WITH chain that prices the cycle's CDRs by each of `plans`: (sql, params).

    The chain ends in a step `priced` with the `carry` columns (of CARRIED) and, for plan n,
    `cost_e4_<n>`: the CDR's cost by that plan in whole e4 (telcost.core.money), rounded half-up
    as SPEC "Rating" says. Exact integer money throughout. The caller adds the statement that
    reads `priced`. Several plans share the one read and the one sort of the month: only the
    running sums differ per plan, and a window over the same partition and order is one pass.

    `part` (k, n) limits it to the devices whose id is k modulo n: a device's bundle is its
    own, so the parts together price exactly what the whole statement prices.

    On PostgreSQL each step ends in OFFSET 0, which keeps the planner from folding it into the
    next: folded, every use of a computed column repeats its whole expression (billable appears
    five times in covered and priced), 0.8 s of 4.7 s for 1M CDRs.

    Every byte of a sorted row costs. One plan's billable units, allowance and rate go through
    the sort, computed once (rating: 14.8 s for a 1M-CDR month against 16.1 s computing them
    again after it). Several plans' would make the row too wide (five: 362 bytes, a 209 MB sort
    on disk): then only the type, zone, duration and volume go through, and each plan's figures
    are computed again after the window (274 bytes, sorted in memory).
    """
    if not plans:
        raise ValueError("pricing needs a plan")
    unknown = set(carry) - set(CARRIED)
    if unknown:
        raise ValueError(f"pricing cannot carry {sorted(unknown)}")
    sql_dialect = dialect()
    # The sort compares integers where it can, and external_ids byte by byte (SQLite's own
    # order, and the same as C.UTF-8's) instead of through the locale, which costs seconds.
    byte_order = sql_dialect.byte_order
    fence = sql_dialect.fence
    carried = list(carry)
    # The window's own columns, unless carried already.
    keys = [c for c in ("device_id", "started_at", "external_id") if c not in carried]
    # Where each plan's billable units, allowance and rate are computed: before the sort (one
    # plan), or again after it from the integers that went through (several).
    after_sort = len(plans) > 1
    before_params: list = []  # rates named before the month's rows in the statement
    after_params: list = []  # and after
    units, taking, used, covered, priced = [], [], [], [], []
    for n, plan in enumerate(plans):
        allowance_max = max(
            plan.bundle.voice_minutes * 60,
            plan.bundle.sms,
            (plan.bundle.data_mb + data_boost_mb) * 1024,
        )
        sum_type = "INTEGER" if allowance_max + 1 <= INT_MAX else "BIGINT"
        setup_micro = to_micro(plan.voice.setup_fee)
        billable, allowance, rate = f"billable_{n}", f"allowance_{n}", f"rate_micro_{n}"
        take, used_before, cover = f"take_{n}", f"used_before_{n}", f"covered_{n}"
        # A call's cost in micro-euros: the setup fee once (if answered), then the uncovered
        # seconds.
        voice_micro = (
            f"(CASE WHEN duration_s > 0 THEN {setup_micro} * 60 ELSE 0 END)"
            f" + ({billable} - {cover}) * {rate}"
        )
        window = f"""
                   -- What the device's earlier CDRs of this type took from this plan's bundle.
                   SUM({take}) OVER (PARTITION BY device_id, type_code
                                     ORDER BY started_at, external_id{byte_order}
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                       - {take} AS {used_before}"""
        # Outside the bundle's zones nothing is covered: an allowance of 0.
        units.append(
            f"""{_billable_sql(plan, _STORED)} AS {billable},
                   {_allowance_sql(plan, data_boost_mb, _STORED)} AS {allowance}"""
        )
        take_sql = f"""CAST(CASE WHEN {allowance} = 0 THEN 0
                             WHEN {billable} > {allowance} THEN {allowance} + 1
                             ELSE {billable} END AS {sum_type}) AS {take}"""
        if after_sort:
            taking.append(take_sql)
            used.append(
                f"""{_billable_sql(plan, _CODED)} AS {billable},
                   {_allowance_sql(plan, data_boost_mb, _CODED)} AS {allowance},
                   {_rate_case(plan, after_params)} AS {rate},{window}"""
            )
        else:
            units[-1] += (
                f",\n                   {_rate_case(plan, before_params, _STORED)} AS {rate}"
            )
            taking.append(f"{billable}, {allowance}, {rate},\n                   {take_sql}")
            used.append(f"{billable}, {allowance}, {rate},{window}")
        covered.append(
            f"""{billable}, {rate},
                   CASE WHEN {allowance} - {used_before} <= 0 THEN 0
                        WHEN {allowance} - {used_before} >= {billable} THEN {billable}
                        ELSE {allowance} - {used_before} END AS {cover}"""
        )
        priced.append(
            f"""CASE type_code
                     WHEN 1 THEN {half_up_div(voice_micro, 6000)}
                     WHEN 2 THEN {half_up_div(f"({billable} - {cover}) * {rate}", 100)}
                     ELSE {half_up_div(f"({billable} - {cover}) * {rate}", 102400)}
                   END AS cost_e4_{n}"""
        )
    # What the sort carries besides the keys and each plan's take: the type, and for several
    # plans what their figures are computed again from.
    raw = ["volume_kb", "zone_code"] if after_sort else []

    def columns(*names: str) -> str:
        return "".join(f"{name}, " for name in names)

    zone_code = (
        "CASE zone WHEN 'national' THEN 1 WHEN 'eu' THEN 2 ELSE 3 END AS zone_code,\n"
        if after_sort
        else ""
    )
    sql = f"""
        WITH units AS (
            SELECT {", ".join(_carried_source(c) for c in carried)},
                   {columns(*keys, *raw[:1])}duration_s,
                   CASE record_type WHEN 'voice' THEN 1 WHEN 'sms' THEN 2 ELSE 3 END AS type_code,
                   {zone_code}{", ".join(units)}
            FROM {CDR._meta.db_table}
            WHERE customer_id = %s AND cycle_start = %s {"AND device_id %% %s = %s" if part else ""}
            {fence}
        ),
        -- Only integers and the sort keys go on: every byte of a row is carried through the sort.
        taking AS (
            SELECT {columns(*carried, *keys, *raw)}type_code, duration_s,
                   {", ".join(taking)}
            FROM units {fence}
        ),
        used AS (
            SELECT {columns(*carried)}type_code, duration_s,
                   {", ".join(used)}
            FROM taking {fence}
        ),
        covered AS (
            SELECT {columns(*carried)}type_code, duration_s,
                   {", ".join(covered)}
            FROM used {fence}
        ),
        priced AS (
            SELECT {columns(*carried)}{", ".join(priced)}
            FROM covered {fence}
        )"""
    part_params = [part[1], part[0]] if part else []
    # In the order the statement names them: a plan's rates before the month's rows (one plan),
    # or after them (several).
    return sql, [*before_params, customer_id, cycle_start, *part_params, *after_params]


def rating_sql(
    plan: RatePlanModel,
    *,
    customer_id: int,
    cycle_start: dt.date,
    data_boost_mb: int,
    part: tuple[int, int] | None = None,
) -> tuple[str, list]:
    """The UPDATE that prices the cycle by the plan: (sql, params), made of pricing_sql.

    One pass: the cycle's CDRs are read once, sorted per device and record type,
    priced, and only the rows whose cost changes are written (a rewritten row costs
    a new tuple on PostgreSQL). The rows are found again by their physical address
    (ctid) on PostgreSQL and by rowid (the id) on SQLite, without an index probe.
    """
    pricing, params = pricing_sql(
        [plan],
        customer_id=customer_id,
        cycle_start=cycle_start,
        data_boost_mb=data_boost_mb,
        carry=("locator", "old_e4"),
        part=part,
    )
    cdr = CDR._meta.db_table
    sql_dialect = dialect()
    sql = f"""{pricing},
        changed AS MATERIALIZED (
            SELECT locator, cost_e4_0 AS cost_e4 FROM priced
            WHERE old_e4 IS NULL OR old_e4 <> cost_e4_0
            -- In storage order: each page is read and written once, not once per device on it.
            ORDER BY locator
        )
        UPDATE {cdr} SET cost = {sql_dialect.money_from_e4("changed.cost_e4")}
        FROM changed WHERE {cdr}.{sql_dialect.row_locator} = changed.locator
    """
    return sql, params


def _rate_statement(sql: str, params: list) -> int:
    """Run one rating UPDATE in its own transaction; returns the rows repriced."""
    with transaction.atomic(), connection.cursor() as cursor:
        sql_dialect = dialect()
        sql_dialect.big_statement(cursor)
        sql_dialect.rating_session(cursor)
        cursor.execute(sql, params)
        return cursor.rowcount


def _rate_statement_in_own_connection(sql: str, params: list) -> int:
    # A thread gets its own Django connection; it is closed here, as the thread ends with the pool.
    try:
        return _rate_statement(sql, params)
    finally:
        connection.close()


def plan_version_of_cycle(rate_plan: RatePlan, cycle_start: dt.date) -> RatePlanModel:
    """The plan's version valid at the cycle's start (SPEC part 2), parsed: it rates the cycle
    and its monthly_fee is the cycle's fee.

    A cycle before the plan's first version has no rates: PermanentError, naming the first month
    that has them, rather than borrowing a version that was never meant for it.
    """
    version = rate_plan_version_for(rate_plan_id=rate_plan.pk, cycle_start=cycle_start)
    if version is None:
        first = rate_plan_first_version(rate_plan.pk)
        since = f": its first version holds from {first.valid_from:%Y-%m}" if first else ""
        raise PermanentError(
            f"rate plan {rate_plan.code} has no version for {cycle_start:%Y-%m}{since}"
        )
    try:
        return rate_plan_parse(version.definition)
    except ValueError as exc:
        raise PermanentError(f"rate plan {rate_plan.code} is invalid: {exc}") from None


def rate_plan_of_cycle(customer: Customer, cycle_start: dt.date) -> RatePlanModel:
    """The plan that rates the cycle and sets its fee: the customer's plan's version valid at the
    cycle's start, the one source for rating and totals (SPEC part 2)."""
    if customer.rate_plan_id is None:
        raise PermanentError(f"customer {customer.name} has no rate plan")
    return plan_version_of_cycle(customer.rate_plan, cycle_start)


def cdrs_rate(*, customer: Customer, cycle_start: dt.date) -> dict:
    """Price the cycle's CDRs of a rate-plan customer. Idempotent: re-rating gives the same
    costs."""
    from telcost.addons.selectors import data_boost_mb_for_cycle

    plan = rate_plan_of_cycle(customer, cycle_start)
    _check_zones(plan, customer.pk, cycle_start)
    boost_mb = data_boost_mb_for_cycle(customer_id=customer.pk, cycle_start=cycle_start)
    parts = dialect().rating_parts()

    def statement(part: tuple[int, int] | None) -> tuple[str, list]:
        return rating_sql(
            plan,
            customer_id=customer.pk,
            cycle_start=cycle_start,
            data_boost_mb=boost_mb,
            part=part,
        )

    if parts == 1:
        rated = _rate_statement(*statement(None))
    else:
        # Part 0 in this thread's connection, the others in their own, all at once.
        with ThreadPoolExecutor(max_workers=parts - 1, thread_name_prefix="rating") as pool:
            others = [
                pool.submit(_rate_statement_in_own_connection, *statement((k, parts)))
                for k in range(1, parts)
            ]
            rated = _rate_statement(*statement((0, parts)))
            rated += sum(other.result() for other in others)
    return {"repriced": rated, "data_boost_mb": boost_mb, "parts": parts}
