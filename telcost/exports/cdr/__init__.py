"""The CDR export's rows and csv: PostgreSQL (postgres.py) or SQLite (sqlite.py)."""
