"""Step handlers of the totals recalculation chain (workflow 1)."""
