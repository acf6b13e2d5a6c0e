"""Who hears about what, after a case transaction commits (DESIGN.md §5: residents hear about accept, resolve and
rating requests; staff about new tasks, warnings, breaches and supervision). Called from ``transaction.on_commit``;
a failure here never undoes the case change.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case
from gongzhi.grid import roles
from gongzhi.grid.choices import Level
from gongzhi.grid.models import StaffPost
from gongzhi.notifications import services as notifications

log = logging.getLogger("gongzhi.cases")


def _context(case: Case) -> dict[str, Any]:
    return {
        "code": case.tracking_code,
        "title": case.title,
        "category": case.category.name if case.category else "",
        "due": f"{timezone.localtime(case.resolve_due):%Y-%m-%d %H:%M}" if case.resolve_due else "",
        # The lazy label, so it renders in the language the notification is rendered in.
        "level": Level(case.level).label,
    }


def _link(name: str, *args: Any) -> str:
    """The page's URL once the interface that serves it exists (console case page, resident tracking page)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _url(case: Case) -> str:
    return _link("console:case", case.pk)


def _users_with(capability: str, **post_filter: Any) -> list[Any]:
    posts = StaffPost.objects.filter(active=True, **post_filter).select_related("user")
    return [p.user for p in posts if roles.can(p.role, capability)]


def dispatcher_users(case: Case) -> list[Any]:
    return _users_with(roles.CASE_DISPATCH, node=case.owner_node_id)


def handler_users(case: Case) -> list[Any]:
    if case.handler_user_id is not None:
        return [get_user_model().objects.get(pk=case.handler_user_id)]
    if case.handler_node_id is not None:
        users = _users_with(roles.CASE_ACCEPT, node=case.handler_node_id)
        if case.pooled:
            stewards = StaffPost.objects.filter(node=case.handler_node_id, role=roles.STEWARD, active=True)
            ids = set(stewards.values_list("user_id", flat=True))
            users = [u for u in users if u.pk in ids]
        return users
    if case.handler_department_id is not None:
        return _users_with(roles.CASE_ACCEPT, department=case.handler_department_id)
    return []


def _staff(case: Case, kind: str, users: list[Any]) -> None:
    if users:
        notifications.notify(
            recipients=users, kind=kind, context=_context(case), url=_url(case), subject=f"case:{case.pk}"
        )


def _resident(case: Case, kind: str) -> None:
    """The reporter hears by in-app message (when signed in) and by SMS (when they left a phone)."""
    if case.reporter_id is not None:
        notifications.notify(
            recipients=[case.reporter],
            kind=kind,
            context=_context(case),
            url=_link("portal:track", case.tracking_code),
            subject=f"case:{case.pk}",
        )
    if case.reporter_phone:
        notifications.send_sms(phone=case.reporter_phone, kind=kind, context=_context(case))


def _safely(fn):  # type: ignore[no-untyped-def]
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:  # a notification must never break the caller's flow
            log.exception("case notification %s failed", fn.__name__)

    wrapper.__name__ = fn.__name__
    return wrapper


@_safely
def case_submitted(case: Case) -> None:
    if case.urgency == "emergency":
        _staff(case, "case.emergency", dispatcher_users(case))
    if case.status == t.SUBMITTED:
        _resident(case, "case.received")


@_safely
def reporter(case: Case, kind: str) -> None:
    _resident(case, kind)


@_safely
def new_task(case: Case) -> None:
    _staff(case, "case.new_task", handler_users(case))


@_safely
def dispatchers(case: Case, kind: str) -> None:
    _staff(case, kind, dispatcher_users(case))


@_safely
def departments(case: Case, department_ids: list[int], kind: str) -> None:
    users = [u for d in department_ids for u in _users_with(roles.CASE_REPORT_IN, department=d)]
    _staff(case, kind, users)


@_safely
def resolved(case: Case) -> None:
    _resident(case, "case.resolved")
    for duplicate in case.duplicates.all():
        _resident(duplicate, "case.resolved")


@_safely
def rework(case: Case, *, escalated: bool) -> None:
    _staff(case, "case.rework", dispatcher_users(case) if escalated else handler_users(case))


@_safely
def supervised(case: Case) -> None:
    _staff(case, "case.supervised", handler_users(case) + dispatcher_users(case))


@_safely
def warning(case: Case) -> None:
    _staff(case, "case.sla_warning", handler_users(case))


@_safely
def breached(case: Case) -> None:
    _staff(case, "case.sla_breached", handler_users(case) + dispatcher_users(case))
