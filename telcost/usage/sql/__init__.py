"""The usage app's SQL plumbing that differs by database: bulk inserts, session tuning, money."""

from telcost.usage.models import CDR

# The CDR table's columns in model order (the id left to the database): what an import or the
# demo inserts, and the order of the value tuples they build.
CDR_COLUMNS = tuple(field.column for field in CDR._meta.concrete_fields if not field.primary_key)
