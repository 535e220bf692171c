"""Writes of the usage app's recalculation, one function per command of the chain.

CalculateTotalsRateplanCommand → cdrs_rate; CalculateTotalsCommand →
totals_calculate; BillingInsightTotalsCommand → insights_calculate;
SaveStatusCommand → customer_status_save; DispatchTotalsBackupCommand →
totals_backup_create. Each is idempotent: it replaces its own output.
"""

from telcost.usage.backups import customer_status_save, totals_backup_create
from telcost.usage.insights import insights_calculate
from telcost.usage.rating import cdrs_rate
from telcost.usage.totals import totals_calculate

__all__ = ["cdrs_rate", "customer_status_save", "insights_calculate", "totals_backup_create", "totals_calculate"]
