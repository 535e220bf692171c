"""The usage app's SQL plumbing that differs by database: bulk inserts, session tuning, money."""
