"""Billing: the rating of CDRs, the totals and insights of a month, and their backups."""
