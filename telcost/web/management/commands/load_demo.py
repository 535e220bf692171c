"""`telcost load_demo`: the deterministic demo world (see telcost.demo.generator)."""

from django.core.management.base import BaseCommand

from telcost.demo.generator import DEMO_PASSWORD, DEMO_USERS, build_demo


class Command(BaseCommand):
    help = (
        "Load the demo data: a partner with three customers, devices, cost centers, CDRs and users."
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

    def handle(self, *, devices, cdrs_per_month, months, seed, **options) -> None:
        demo = build_demo(
            devices_per_customer=devices, cdrs_per_month=cdrs_per_month, months=months, seed=seed
        )
        self.stdout.write(
            f"Demo data ready: {len(demo.customers)} customers of partner {demo.partner.name}, "
            f"{demo.cdrs} new CDRs."
        )
        for username, staff, memberships in DEMO_USERS:
            roles = ", ".join(f"{role} of {key}" for key, role in memberships) or (
                "staff" if staff else ""
            )
            self.stdout.write(f"  login {username} / {DEMO_PASSWORD}  ({roles})")
