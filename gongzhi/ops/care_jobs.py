"""The care registry's jobs that span two domains, run by ``gongzhi worker`` (ops is the interface that may call both
care and cases; care never calls cases).

The retention rule (PIPL: personal data kept no longer than needed): a resident who moved away (or died) more than
GONGZHI_CARE_RETENTION_DAYS ago is erased by ``care.services.erase(user=None, …)`` — name, ID number, phone, date of
birth, visit findings and photos gone, the row kept anonymous so that the figures still add up — and the cases linked
to them are anonymised by ``cases.services.anonymise_people(case_ids=, actor=, reason=)``, in the same transaction.
The visit photos are deleted from storage once it has committed.

Until the cases service has ``anonymise_people`` (it comes with another change), a resident who has linked cases is
kept (counted as ``waiting``) rather than erased with their cases left in clear: the rule is never half done. The
others are erased.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction

from gongzhi.care import services as care
from gongzhi.care.models import CaseLink
from gongzhi.cases import services as cases_services
from gongzhi.core import photos, timeutil

log = logging.getLogger("gongzhi.worker")

RETENTION_REASON = "retention rule: moved away more than %(days)d days ago"


def _anonymiser() -> Callable[..., Any] | None:
    # TODO(lead): cases.services.anonymise_people(*, case_ids, actor, reason) lands in another branch; once merged,
    # call it directly here (the call below is written against that exact signature).
    return getattr(cases_services, "anonymise_people", None)


def apply_retention(*, today: date | None = None, days: int | None = None) -> dict[str, int]:
    """Erase the residents past the retention period and anonymise their cases. Returns what it did: ``erased``,
    ``cases`` anonymised, ``waiting`` (kept: they have cases and the cases service cannot anonymise them yet)."""
    today = today or timeutil.local_today()
    days = int(days if days is not None else settings.GONGZHI_CARE_RETENTION_DAYS)
    anonymise = _anonymiser()
    done = {"erased": 0, "cases": 0, "waiting": 0}
    reason = RETENTION_REASON % {"days": days}
    for pk in care.due_for_retention(older_than_days=days, today=today):
        has_cases = CaseLink.objects.filter(resident_id=pk).exists()
        if has_cases and anonymise is None:
            done["waiting"] += 1
            continue
        with transaction.atomic():
            erased = care.erase(user=None, resident=pk, reason=reason)
            if erased.case_ids and anonymise is not None:
                anonymise(case_ids=list(erased.case_ids), actor=None, reason=reason)
                done["cases"] += len(erased.case_ids)
            names = list(erased.photos)
            if names:
                transaction.on_commit(lambda names=names: photos.discard(names))
        done["erased"] += 1
    if done["waiting"]:
        log.warning(
            "care retention: %d resident(s) past the retention period kept until their cases can be anonymised",
            done["waiting"],
        )
    return done
