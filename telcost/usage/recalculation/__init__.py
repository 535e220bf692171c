"""Workflow 1: the totals recalculation chain of a customer-month, and a partner's fan-out over
months."""
