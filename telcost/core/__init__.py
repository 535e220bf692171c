"""The bottom layer: what every app may use and that imports no app (the billing calendar, the
CDR wire format, exact money in SQL, worker timers, the API's shared shapes)."""
