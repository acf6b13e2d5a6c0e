"""The care registry's jobs that span two domains, run by ``gongzhi worker`` (ops is the interface that may call both
care and cases; care never calls cases).

The retention rule (PIPL: personal data kept no longer than needed): a resident who moved away (or died) more than
GONGZHI_CARE_RETENTION_DAYS ago is erased the way a resident's own request erases them
(``console.care_flows.erase_resident``, with no actor: the system) — name, ID number, phone, date of birth, visit
findings and photos gone, the row kept anonymous so that the figures still add up — and the cases linked to them are
anonymised in the same transaction. The visit photos are deleted from storage once it has committed.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings

from gongzhi.care import services as care
from gongzhi.console import care_flows
from gongzhi.core import timeutil

RETENTION_REASON = "retention rule: moved away more than %(days)d days ago"


def apply_retention(*, today: date | None = None, days: int | None = None) -> dict[str, int]:
    """Erase the residents past the retention period and anonymise their cases, one transaction each. Returns what it
    did: ``erased`` residents, ``cases`` anonymised."""
    today = today or timeutil.local_today()
    days = int(days if days is not None else settings.GONGZHI_CARE_RETENTION_DAYS)
    done = {"erased": 0, "cases": 0}
    reason = RETENTION_REASON % {"days": days}
    for pk in care.due_for_retention(older_than_days=days, today=today):
        erased = care_flows.erase_resident(resident=pk, actor=None, reason=reason)
        done["erased"] += 1
        done["cases"] += len(erased.case_ids)
    return done
