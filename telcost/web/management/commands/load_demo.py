"""`telcost load_demo`: the deterministic demo world (see telcost.demo.generator), its months
calculated."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from telcost.demo.generator import DEMO_PASSWORD, DEMO_USERS, build_demo
from telcost.syncs.services import sync_manual_dispatch


class Command(BaseCommand):
    help = (
        "Load the demo data: two partners with their customers, devices, cost centers, rate "
        "plans, sync profiles, CDRs and users; then calculate every month's totals."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--devices", type=int, default=120, help="Devices per customer")
        parser.add_argument(
            "--cdrs-per-month", type=int, default=3000, help="CDRs per customer and month"
        )
        parser.add_argument(
            "--months", type=int, default=3, help="Months of CDRs, ending with the current one"
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--sync",
            action="store_true",
            help="Run each new sync profile once for the current month (the simulators must be up)",
        )
        parser.add_argument(
            "--no-calculate",
            action="store_true",
            help="Leave the dispatched recalculations to the worker instead of running them now",
        )

    def handle(
        self, *, devices, cdrs_per_month, months, seed, sync, no_calculate, **options
    ) -> None:
        demo = build_demo(
            devices_per_customer=devices, cdrs_per_month=cdrs_per_month, months=months, seed=seed
        )
        if sync:
            # Each profile's first run, so the sync pages show a finished sync on first login.
            for profile in demo.new_profiles:
                sync_manual_dispatch(profile=profile, cycle_start=demo.current, user=None)
        if (demo.recalculations or (sync and demo.new_profiles)) and not no_calculate:
            # The real recalculation, by a worker in this process until nothing is left: the web
            # starts after this, so the first page a user opens shows calculated totals.
            call_command("worker", batch=True, interval=0, verbosity=0)
        partners = ", ".join(p.name for p in demo.partners.values())
        self.stdout.write(
            f"Demo data ready: {len(demo.customers)} customers of partners {partners}, "
            f"{demo.cdrs} new CDRs, {demo.recalculations} months calculated."
        )
        for reason in demo.skipped:
            self.stdout.write(f"  not made: {reason}")
        for username, staff, memberships in DEMO_USERS:
            roles = ", ".join(f"{role} of {key}" for key, role in memberships) or (
                "staff" if staff else ""
            )
            self.stdout.write(f"  login {username} / {DEMO_PASSWORD}  ({roles})")
