"""``gongzhi rotate_field_keys``: re-encrypt personal data under the newest GONGZHI_FIELD_KEYS key.

Run after prepending a new key; only then drop the old one. ``--reindex`` rebuilds the blind indexes after
GONGZHI_BLIND_INDEX_KEY changed. Works over every EncryptedTextField of every installed app, in batches, each
batch in its own transaction so a long run can be interrupted and resumed.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from gongzhi.core.fields import EncryptedTextField

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt personal data under the newest field key (and optionally rebuild blind indexes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reindex", action="store_true", help="also rebuild blind indexes")

    def handle(self, *args: object, reindex: bool, **options: object) -> None:
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            count = self._rotate(model, fields, reindex=reindex)
            self.stdout.write(f"{model._meta.label}: {count} row(s) re-encrypted ({', '.join(f.name for f in fields)})")

    def _rotate(self, model, fields, *, reindex: bool) -> int:
        done = 0
        last_pk = None
        while True:
            rows = model._base_manager.order_by("pk")
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            # Read raw ciphertext (values_list would decrypt through from_db_value).
            batch = list(rows.values_list("pk", flat=True)[:BATCH])
            if not batch:
                return done
            with transaction.atomic():
                for obj in model._base_manager.select_for_update().filter(pk__in=batch):
                    updates = {}
                    for field in fields:
                        plain = getattr(obj, field.attname)
                        if plain:
                            updates[field.attname] = plain  # get_prep_value encrypts with the newest key
                            if reindex and field.blind_index_field:
                                updates[field.blind_index_field] = field.blind_index_value(plain)
                    if updates:
                        model._base_manager.filter(pk=obj.pk).update(**updates)
                        done += 1
            last_pk = batch[-1]
        return done  # pragma: no cover
