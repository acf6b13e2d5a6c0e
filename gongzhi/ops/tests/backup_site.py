"""A small site for the backup round trip, driven in its own process (``python -m gongzhi.ops.tests.backup_site``)
against the data directory and database named by GONGZHI_* in its environment:

- ``populate OUT``: migrate, then a district with staff, cases with report and result photos and reporters' phones
  (encrypted), text messages (their numbers encrypted too); then ``dump OUT``;
- ``dump OUT``: every row of every table, as JSON, sorted, into OUT;
- ``check OUT``: ``dump OUT``, then the reporters' phones as the ORM decrypts them, a lookup by the blind index, a
  new row written (the sequences were restored too), as JSON on stdout.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

PHONES = ["13812345678", "13987654321"]


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def populate() -> dict[str, object]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from gongzhi.cases import services
    from gongzhi.cases.tests.factories import world
    from gongzhi.core import photos

    w = world()
    report = photos.store(
        [photos.CleanPhoto(_jpeg((200, 30, 30)), 64, 48), photos.CleanPhoto(_jpeg((30, 200, 30)), 64, 48)],
        prefix=photos.REPORT_PREFIX,
    )
    first = w.submit(reporter_name="张三", reporter_phone=PHONES[0], photos=report)
    second = w.to_accepted(reporter_name="李四", reporter_phone=PHONES[1], title="路灯不亮")
    result = photos.store([photos.CleanPhoto(_jpeg((30, 30, 200)), 64, 48)], prefix=f"cases/{second.pk}")
    services.resolve(case=second, actor=w.steward, result="已修好路灯", photos=result)
    return {"cases": [first.pk, second.pk], "photos": [*report, *result]}


def dump(out: Path) -> None:
    from django.db import connection

    tables: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [c[0] for c in cursor.description]
            rows = [json.dumps(dict(zip(columns, row, strict=True)), default=str, sort_keys=True) for row in cursor]
            tables[table] = sorted(rows)
    out.write_text(json.dumps(tables, ensure_ascii=False), encoding="utf-8")


def read() -> dict[str, object]:
    from gongzhi.accounts.models import User
    from gongzhi.cases.models import Case
    from gongzhi.core import crypto

    phones = list(Case.objects.order_by("pk").values_list("reporter_phone", flat=True))
    by_index = Case.objects.filter(reporter_phone_index=crypto.blind_index(crypto.normalise_phone(PHONES[0]))).count()
    User.objects.create_user(username=f"after-restore-{os.getpid()}", password=None)
    return {"phones": phones, "by_blind_index": by_index}


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    django.setup()
    command = sys.argv[1]
    if command == "populate":
        print(json.dumps(populate()))
        dump(Path(sys.argv[2]))
    elif command == "dump":
        dump(Path(sys.argv[2]))
    elif command == "check":
        dump(Path(sys.argv[2]))
        print(json.dumps(read(), ensure_ascii=False))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
