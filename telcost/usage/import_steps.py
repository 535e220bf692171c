"""Step handler of CDR imports (ImportCdrsCommand)."""
