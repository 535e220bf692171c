from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "telcost.reports"
    label = "reports"

    def ready(self) -> None:
        # "Monthly reports" on My account: the accounts app sits below this one and shows the
        # sections that apps above it register (telcost.accounts.sections).
        from telcost.accounts.sections import account_section
        from telcost.reports.sections import subscriptions_section

        account_section("reports", subscriptions_section)
