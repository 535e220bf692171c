"""The workers forget ended login-throttle windows and expired tokens (safe in several at once)."""

from telcost.accounts.services import logins_clean_up
from telcost.core.timers import every


@every(300, name="accounts.clean_up_logins")
def clean_up_logins() -> None:
    logins_clean_up()
