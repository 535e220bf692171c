"""The cost rule: what a CDR costs a standard and a rate-plan customer, asked in one place."""

from decimal import Decimal

import pytest
from django.db import connection

from telcost.usage.billing.cost import ProviderCost, RatedCost, cost_rule
from telcost.usage.sql import dialect
from tests.factories import CustomerFactory
from tests.usage.helpers import SEPT, add_cdr, costs

pytestmark = pytest.mark.django_db


def test_the_customer_kind_picks_the_rule(rated_customer):
    assert isinstance(cost_rule(CustomerFactory(kind="standard")), ProviderCost)
    assert isinstance(cost_rule(rated_customer()), RatedCost)
    assert (
        not cost_rule(CustomerFactory(kind="standard")).rates and cost_rule(rated_customer()).rates
    )


def test_what_an_import_stores_and_an_export_reads():
    assert ProviderCost().stored_on_import(Decimal("0.1234")) == Decimal("0.1234")
    assert RatedCost().stored_on_import(Decimal("0.1234")) is None
    assert ProviderCost().import_sql("s.provider_cost") == "s.provider_cost"
    assert RatedCost().import_sql("s.provider_cost") == "NULL"
    assert ProviderCost().read_sql("c") == "COALESCE(c.cost, c.provider_cost)"
    assert RatedCost().read_sql("c") == "c.cost"


def test_a_standard_customer_reprices_to_the_provider_cost_and_counts_what_is_stale():
    customer = CustomerFactory(kind="standard")
    unrated, rated_before, right = (
        add_cdr(customer, provider_cost=cost) for cost in ("0.1000", "0.2000", "0.3000")
    )
    type(rated_before).objects.filter(pk=rated_before.pk).update(cost=Decimal("0.0500"))
    type(right).objects.filter(pk=right.pk).update(cost=Decimal("0.3000"))
    rule, sql_dialect = cost_rule(customer), dialect()
    total, stale = rule.totals_sum_sql(sql_dialect)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {total}, {stale} FROM usage_cdr WHERE customer_id = %s", [customer.pk]
        )
        total, stale = cursor.fetchone()
    assert (sql_dialect.money_value(total), int(stale)) == (Decimal("0.6000"), 2)
    assert rule.reprice(customer, SEPT) == 2
    assert costs(unrated, rated_before, right) == ["0.1000", "0.2000", "0.3000"]
