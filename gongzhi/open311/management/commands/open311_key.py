"""``gongzhi open311_key NAME``: create an Open311 API key and print it (once)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongzhi.grid.models import Jurisdiction
from gongzhi.open311 import keys
from gongzhi.open311.models import Open311Key


class Command(BaseCommand):
    help = "Create an Open311 API key for a client system and print it (it is stored only as a hash)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the client system, e.g. 'city app'")
        parser.add_argument("--jurisdiction", default="", help="restrict the key to this jurisdiction code")
        parser.add_argument("--key", default="", help="use this key instead of a random one (demo, tests)")

    def handle(self, *args: object, name: str, jurisdiction: str, key: str, **options: object) -> None:
        place = None
        if jurisdiction:
            place = Jurisdiction.objects.filter(code=jurisdiction).first()
            if place is None:
                raise CommandError(f"no jurisdiction with code {jurisdiction!r}")
        if key and Open311Key.objects.filter(key_hash=keys.digest(key)).exists():
            self.stdout.write(key)
            return
        _row, raw = keys.create_key(name=name, jurisdiction=place, raw=key or None)
        self.stdout.write(raw)
