"""The CDR columns, written once: the wire format's in core, the table's from the model."""

from telcost.core.cdr_format import CSV_COLUMNS
from telcost.integrations.providers.http_api import CdrRecord
from telcost.usage.sql import CDR_COLUMNS


def test_the_table_columns_come_in_the_order_the_value_tuples_are_built():
    # usage/imports/sqlite.py and demo/generator.py build their rows in this order.
    assert CDR_COLUMNS == (
        "customer_id",
        "device_id",
        "external_id",
        "started_at",
        "record_type",
        "zone",
        "destination",
        "duration_s",
        "volume_kb",
        "provider_cost",
        "cost",
        "cycle_start",
    )


def test_a_provider_s_json_record_declares_the_wire_columns_in_their_order():
    assert tuple(CdrRecord.__annotations__) == CSV_COLUMNS
