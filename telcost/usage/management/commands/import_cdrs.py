"""`telcost import_cdrs --customer ID FILE`: the import service, synchronously."""

import json

from django.core.management.base import BaseCommand, CommandError

from telcost.core.cdr_format import ImportRefused
from telcost.customers.models import Customer
from telcost.usage.imports.pipeline import cdrs_import_csv


class Command(BaseCommand):
    help = "Import a CDR CSV file for a customer and print the result as JSON."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customer", type=int, required=True, help="Customer id")
        parser.add_argument("file", help="Path of the CSV file")

    def handle(self, *, customer, file, **options) -> None:
        target = Customer.objects.filter(pk=customer).first()
        if target is None:
            raise CommandError(f"no customer with id {customer}")
        try:
            with open(file, "rb") as stream:
                result = cdrs_import_csv(customer=target, stream=stream)
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}") from None
        except ImportRefused as exc:
            raise CommandError(f"file refused: {exc}") from None
        self.stdout.write(json.dumps(result.as_dict(), indent=2))
