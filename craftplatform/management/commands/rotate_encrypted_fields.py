"""Re-encrypt every stored secret with the newest key in FIELD_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand
from django.db import transaction

from craftplatform import encryption


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the newest key (run after putting a new key first)."

    def handle(self, *args, **options):
        total = 0
        for model, attname in encryption.encrypted_fields():
            table = model._default_manager
            # Read the raw ciphertext: the field would decrypt it, and we want to rotate it as stored.
            rows = table.exclude(**{attname: ""}).exclude(**{f"{attname}__isnull": True}).values_list("pk", flat=True)
            for pk in rows.iterator():
                with transaction.atomic():
                    obj = table.select_for_update().get(pk=pk)
                    # Saving writes the plaintext back through the field, encrypted with the newest key.
                    table.filter(pk=pk).update(**{attname: getattr(obj, attname)})
                total += 1
            self.stdout.write(f"{model._meta.label}.{attname}: rotated")
        self.stdout.write(self.style.SUCCESS(f"{total} secrets re-encrypted with the newest key."))
