"""CDR imports: the batch loop (pipeline) and its PostgreSQL and SQLite halves, uploads, steps."""
