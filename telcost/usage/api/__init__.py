"""The usage app's API: totals and recalculation, a partner's recalculation over months, CDR
uploads."""
