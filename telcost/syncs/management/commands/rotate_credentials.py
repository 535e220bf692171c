"""`telcost rotate_credentials`: re-encrypt every stored provider credential with the first key.

Run it after putting a new key first in TELCOST_CREDENTIALS_KEYS (or after setting
TELCOST_CREDENTIALS_LEGACY_SECRET on upgrade); then the old key can be removed. Safe to run
again: each profile is re-sealed on its own, and only if nobody changed it meanwhile.
"""

from django.core.management.base import BaseCommand, CommandError

from telcost.syncs.credentials import credentials_reencrypt
from telcost.syncs.models import SyncProfile


class Command(BaseCommand):
    help = "Re-encrypt all stored provider credentials with the first TELCOST_CREDENTIALS_KEYS key."

    def handle(self, *args, **options):
        done, unreadable = 0, []
        stored = SyncProfile.objects.exclude(credentials_encrypted="").values_list(
            "pk", "credentials_encrypted"
        )
        for pk, sealed in stored.iterator():
            try:
                resealed = credentials_reencrypt(sealed)
            except ValueError:
                unreadable.append(pk)
                continue
            # Conditional: a profile whose credentials were changed meanwhile keeps the new ones.
            done += SyncProfile.objects.filter(pk=pk, credentials_encrypted=sealed).update(
                credentials_encrypted=resealed
            )
        self.stdout.write(f"{done} re-encrypted")
        if unreadable:
            raise CommandError(
                "no configured key decrypts the credentials of "
                + ", ".join(f"sync profile {pk}" for pk in unreadable)
                + ": add the key they were sealed with (or TELCOST_CREDENTIALS_LEGACY_SECRET) and "
                "run again, or store their credentials anew"
            )
