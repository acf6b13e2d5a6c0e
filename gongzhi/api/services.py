"""Writes of the exchange API: a partner files a case (keeping its own id, idempotent under retries)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from gongzhi.api.models import IdempotencyKey, InboundCase, Partner
from gongzhi.cases import services as cases
from gongzhi.cases.choices import CoTaskStatus
from gongzhi.cases.models import Case, CaseCategory, CoHandlingTask
from gongzhi.core import prepared
from gongzhi.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from gongzhi.grid import selectors as grid_selectors

MAX_KEY = 200


@dataclass(frozen=True)
class Filed:
    case: Case
    replayed: bool  # True: an earlier request with the same Idempotency-Key created it


def fingerprint(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def file_case(*, partner: Partner, data: dict[str, Any], idempotency_key: str = "") -> Filed:
    """File a case from a partner. With an ``Idempotency-Key``, the key's row is inserted first, inside the same
    transaction as the case: a concurrent retry blocks on the unique index until this transaction ends, then finds
    the committed row and returns the same case. Without one, the partner's own id still refuses duplicates (409).

    The request is checked and sorted (the classifier, the duplicate search) before that transaction begins
    (``cases.prepare_submission``): the transaction only writes, so on SQLite it holds the write lock for the key, the
    case and the partner's id, not for the classifier."""
    key = (idempotency_key or "").strip()
    if len(key) > MAX_KEY:
        raise DomainError(f"Idempotency-Key: at most {MAX_KEY} characters")
    external_id = str(data.get("external_id") or "").strip()
    if not external_id:
        raise DomainError("external_id is required")
    if len(external_id) > 64:
        raise DomainError("external_id: at most 64 characters")
    print_ = fingerprint(data)
    if key and IdempotencyKey.objects.filter(partner=partner, key=key).exists():
        return _replay(partner, key, print_)  # a retry of a request already filed: nothing to sort again
    try:
        submission = _prepare(partner, data, external_id)
    except Conflict:
        # The partner's id is taken — by a request with this same key that committed since the check above: a retry.
        if key and IdempotencyKey.objects.filter(partner=partner, key=key).exists():
            return _replay(partner, key, print_)
        raise
    # Written with prepared statements that skip a taken unique value instead of failing (core.prepared): no
    # savepoints, and the write lock held for the rows only.
    with transaction.atomic():
        record = None
        if key:
            record = prepared.insert_unless_taken(IdempotencyKey(partner=partner, key=key, fingerprint=print_))
            if record is None:  # another request with this key committed first (PostgreSQL waited for it)
                return _replay(partner, key, print_)
        try:
            case = cases.file_submission(submission)
        except Conflict:
            raise _duplicate(partner, external_id) from None
        if prepared.insert_unless_taken(InboundCase(partner=partner, external_id=external_id, case=case)) is None:
            raise _duplicate(partner, external_id)  # filed meanwhile by another request: this case is rolled back
        if record is not None:
            record.case = case
            prepared.update(record, ["case"])
        return Filed(case=case, replayed=False)


def _replay(partner: Partner, key: str, print_: str) -> Filed:
    record = IdempotencyKey.objects.select_related("case").get(partner=partner, key=key)
    if record.fingerprint != print_:
        raise Conflict("this Idempotency-Key was used with a different request body", code="idempotency_mismatch")
    if record.case is None:  # pragma: no cover - the row and its case commit together
        raise Conflict("the first request with this Idempotency-Key is still being processed; retry shortly")
    return Filed(case=record.case, replayed=True)


def _duplicate(partner: Partner, external_id: str) -> Conflict:
    existing = InboundCase.objects.filter(partner=partner, external_id=external_id).select_related("case").first()
    code = existing.case.tracking_code if existing else "?"
    return Conflict(f"a case with external_id {external_id!r} already exists: {code}", code="duplicate_external_id")


def _prepare(partner: Partner, data: dict[str, Any], external_id: str) -> cases.Submission:
    category = None
    code = str(data.get("category_code") or "").strip()
    if code:
        category = CaseCategory.objects.filter(
            jurisdiction_id=partner.jurisdiction_id, code=code[:64], active=True, children__isnull=True
        ).first()
        if category is None:
            raise DomainError(f"category_code {code[:64]!r} not found", code="unknown_category")
    if InboundCase.objects.filter(partner=partner, external_id=external_id).exists():
        raise _duplicate(partner, external_id)
    return cases.prepare_submission(
        jurisdiction=partner.jurisdiction,
        channel=partner.channel,
        title=str(data.get("title") or ""),
        description=str(data.get("description") or ""),
        category=category,
        urgency=data.get("urgency") or None,
        reporter_name=str(data.get("reporter_name") or ""),
        reporter_phone=str(data.get("reporter_phone") or ""),
        lat=data.get("lat"),
        lon=data.get("lon"),
        coord_system=str(data.get("coord_system") or "wgs84"),
        address=str(data.get("address") or ""),
        external_id=external_id,
        source=partner.code,
        attributes=data.get("attributes") or {},
    )


# ---------------------------------------------------------------------------------------------------- staff actions
# A staff user's token acts as that user, through the case engine's own services and therefore its own policies
# (who may accept, resolve, report in); the API adds nothing and bypasses nothing. A refusal changes nothing.


def require_user(token: Any) -> Any:
    if token.user is None:
        raise PermissionDenied("only a staff user's token may act on cases")
    return token.user


def accept(*, token: Any, case: Case) -> Case:
    """接单 as the token's user."""
    return cases.accept(case=case, actor=require_user(token))


def resolve(*, token: Any, case: Case, result: str) -> Case:
    """办结 as the token's user, with the result text."""
    return cases.resolve(case=case, actor=require_user(token), result=result)


def report_in(*, token: Any, tracking_code: str, report: str) -> Case:
    """报到: the token's user reports in for their department, summoned to the case. Without such a summons the case
    is not found (out of scope and missing look the same)."""
    user = require_user(token)
    departments = [p.department_id for p in grid_selectors.active_posts(user) if p.department_id]
    code = (tracking_code or "").strip().upper()[:16]
    task = (
        CoHandlingTask.objects.filter(
            case__tracking_code=code, status=CoTaskStatus.SUMMONED, department_id__in=departments
        )
        .order_by("pk")
        .first()
    )
    if task is None:
        raise NotFound("case not found, or your department is not summoned to it")
    cases.report_in(task=task, actor=user, report=report)
    return Case.objects.get(pk=task.case_id)
