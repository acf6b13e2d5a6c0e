"""``gongzhi check --deploy``: no active account may have the demo password outside demo mode.

Checking a password hash costs a second (PBKDF2), so not every account is tried: ``gongzhi demo`` gives all its users
one and the same hash, so the hashes two or more active accounts share are tried, and those of the accounts that
may open the admin (staff, superusers). An ordinary account given the demo password by hand is not found here, but
it cannot be used either: outside demo mode every login with the demo password is refused (``accounts.login``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core import checks
from django.db import DatabaseError

from gongzhi.accounts import login

SHOWN = 10


def accounts_with_demo_password() -> list[str]:
    """User names of active accounts whose password is the demo password (see the module's note on which)."""
    from gongzhi.accounts.models import User

    by_hash: dict[str, list[str]] = defaultdict(list)
    admins: set[str] = set()
    rows = User.objects.filter(is_active=True).values_list("username", "password", "is_staff", "is_superuser")
    for username, password, is_staff, is_superuser in rows.order_by("username"):
        by_hash[password].append(username)
        if is_staff or is_superuser:
            admins.add(password)
    found: list[str] = []
    for hashed, usernames in by_hash.items():
        if (len(usernames) > 1 or hashed in admins) and any(
            check_password(demo, hashed) for demo in sorted(login.demo_passwords())
        ):
            found += usernames
    return sorted(found)


@checks.register(checks.Tags.security, deploy=True)
def check_demo_password(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.GONGZHI_DEMO:
        return [
            checks.Warning(
                "GONGZHI_DEMO is on: the demo password logs in.",
                hint="Turn it off (GONGZHI_DEMO=false) anywhere real people's data is kept.",
                id="accounts.W001",
            )
        ]
    try:
        found = accounts_with_demo_password()
    except DatabaseError:  # no database yet (not migrated): there is no account to check
        return []
    if not found:
        return []
    names = ", ".join(found[:SHOWN]) + (f" and {len(found) - SHOWN} more" if len(found) > SHOWN else "")
    return [
        checks.Error(
            f"{len(found)} active account(s) have the demo password: {names}.",
            hint=(
                "Logins with it are refused outside demo mode. Give each person a password of their own "
                "(gongzhi changepassword NAME) or deactivate the demo accounts (gongzhi demo is for trying gongzhi, "
                "not for real data)."
            ),
            id="accounts.E001",
        )
    ]
