"""The site of the several-processes test, driven in its own process (``python -m gongzhi.ops.tests.processes_site``)
against the database named by GONGZHI_DATABASE_URL (test_processes.py):

- ``seed PASSWORD``: migrate, a district with staff (the dispatcher's password set), printed as JSON: the building's
  QR token, the dispatcher's login, the category and micro-grid the test acts with;
- ``check``: what the workers did, as JSON — text messages by status and their keys, the dashboard's count of cases
  received, the workers' heartbeats.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def seed(password: str) -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from gongzhi.cases.tests.factories import world

    w = world()
    w.dispatcher.set_password(password)
    w.dispatcher.save(update_fields=["password"])
    return {
        "token": w.building.public_token,
        "dispatcher": w.dispatcher.username,
        "category": w.category.pk,
        "micro": w.micro.pk,
        "district": w.district.pk,
    }


def check() -> dict[str, Any]:
    from django.db.models import Count

    from gongzhi.analytics import selectors
    from gongzhi.cases.models import Case
    from gongzhi.grid.models import GridNode
    from gongzhi.notifications.models import SmsMessage
    from gongzhi.ops.models import WorkerHeartbeat

    district = GridNode.objects.get(parent__isnull=True)
    return {
        "cases": Case.objects.count(),
        "sms_by_status": dict(
            SmsMessage.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
        ),
        "sms_keys": sorted(f"sms-{pk}" for pk in SmsMessage.objects.values_list("pk", flat=True)),
        "received_on_dashboard": selectors.counts(node=district).get("received", 0),
        "heartbeats": WorkerHeartbeat.objects.count(),
    }


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    django.setup()
    command = sys.argv[1]
    if command == "seed":
        print(json.dumps(seed(sys.argv[2])))
    elif command == "check":
        print(json.dumps(check()))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
