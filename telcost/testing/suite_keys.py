"""The test suite's own keys, set before Django reads its settings.

Loaded with `-p telcost.testing.suite_keys` (pyproject's addopts): a `-p` plugin is imported
before pytest-django configures Django, which a conftest.py is not. Outside the demo and the
tests telcost refuses to start without these; the values here protect nothing but test data.
Subprocesses that tests start (workers, servers) inherit them.
"""

import os

os.environ.setdefault(
    "TELCOST_SECRET_KEY", "telcost-tests-only-secret-key-not-for-any-real-deployment-0123"
)
os.environ.setdefault("TELCOST_CREDENTIALS_KEYS", "e_nsZpGicglzfOb2lyXq2c2yZ2XQjB1jsM9Jb8EpZJU=")
