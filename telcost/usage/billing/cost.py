"""What a CDR costs the customer: the one place that says so (SPEC.md "Rating").

A standard customer pays the provider's price (provider_cost); a rate-plan customer
pays what the rating step computes from the plan, and until then the CDR has no cost.
Every place that stores, reads, sums or rewrites a CDR's cost asks cost_rule(customer)
how: the imports (both databases), rating, the totals, the CDR exports (both
databases), the demo data and the recalculation chain.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import F, Q

from telcost.customers.models import Customer
from telcost.usage.billing.rating import cdrs_rate
from telcost.usage.models import CDR
from telcost.usage.sql import UsageSql


class ProviderCost:
    """A standard customer: the cost is the provider's, stored as it is imported."""

    # No rating step in the recalculation chain, no subscription fees, nothing out of a bundle.
    rates = False

    def stored_on_import(self, provider_cost: Decimal) -> Decimal | None:
        return provider_cost

    def import_sql(self, staged_column: str) -> str:
        return staged_column

    def read_sql(self, alias: str) -> str:
        # A standard customer's cost is the provider's, even before a recalculation wrote it down.
        return f"COALESCE({alias}.cost, {alias}.provider_cost)"

    def totals_sum_sql(self, sql_dialect: UsageSql) -> tuple[str, str]:
        """(SQL of the cycle's cost sum, SQL counting the CDRs whose stored cost is not the rule's
        yet).

        The sum is of the dialect's exact_money (its money_value reads it). The totals sum
        provider_cost, and the same scan counts the CDRs stored with another cost (rated while
        the customer had a rate plan), which reprice then rewrites.
        """
        exact = sql_dialect.exact_money
        stale = f"cost IS NULL OR {exact('cost')} <> {exact('provider_cost')}"
        return f"SUM({exact('provider_cost')})", f"SUM(CASE WHEN {stale} THEN 1 ELSE 0 END)"

    def reprice(self, customer: Customer, cycle_start: dt.date) -> int:
        """Set-based: the cycle's costs become the provider's; returns rows changed."""
        return (
            CDR.objects.filter(customer=customer, cycle_start=cycle_start)
            .filter(
                Q(cost__isnull=True)
                | Q(cost__lt=F("provider_cost"))
                | Q(cost__gt=F("provider_cost"))
            )
            .update(cost=F("provider_cost"))
        )


class RatedCost:
    """A rate-plan customer: the cost is rated later (rating.py), by the plan and its bundle."""

    # The chain starts with rating, and the plan's monthly fee is a subscription cost.
    rates = True

    def stored_on_import(self, provider_cost: Decimal) -> Decimal | None:
        return None

    def import_sql(self, staged_column: str) -> str:
        return "NULL"

    def read_sql(self, alias: str) -> str:
        return f"{alias}.cost"

    def totals_sum_sql(self, sql_dialect: UsageSql) -> tuple[str, str]:
        """See ProviderCost: an unrated CDR counts as nothing, and no stored cost is stale."""
        return f"SUM({sql_dialect.exact_money('COALESCE(cost, 0)')})", "0"

    def reprice(self, customer: Customer, cycle_start: dt.date) -> int:
        """Rate the cycle by the plan; returns rows changed."""
        return cdrs_rate(customer=customer, cycle_start=cycle_start)["repriced"]


CostRule = ProviderCost | RatedCost
_PROVIDER_COST, _RATED_COST = ProviderCost(), RatedCost()


def cost_rule(customer: Customer) -> CostRule:
    return _RATED_COST if customer.is_rateplan else _PROVIDER_COST
