"""Re-encrypt every encrypted column under the newest key of FIELD_ENCRYPTION_KEYS."""
from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from integrations.crypto import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt all secrets with the first key of FIELD_ENCRYPTION_KEYS (run after adding a key)."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            fields = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            count = 0
            for obj in model._base_manager.only("pk", *fields).iterator(chunk_size=500):
                # Reading decrypted with any key; writing encrypts with the newest one.
                with transaction.atomic():
                    model._base_manager.filter(pk=obj.pk).update(**{name: getattr(obj, name) for name in fields})
                count += 1
            total += count
            self.stdout.write(f"{model._meta.label}: {count} row(s) re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"{total} row(s) now under the newest key."))
