"""Who hears about what when a case changes (DESIGN.md §5: residents hear about accept, resolve and rating requests;
staff about new tasks, warnings, breaches and supervision).

Called by the services inside their transaction, once the change is decided and before it is written (so that the
rendering and the recipients' lookups run before a SQLite transaction's first write takes the write lock, see
core.transactions): the inbox rows and the queued text messages are part of the same commit as the change (an
outbox), so nobody hears about a change that was rolled back and nothing is lost when a process stops right after a
commit. Text messages leave once the transaction commits
(notifications.services.deliver). Recipients are looked up as user ids, one query per group.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from gongzhi.cases import catalogue_cache
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case
from gongzhi.core import prepared
from gongzhi.grid import roles
from gongzhi.grid.choices import Level
from gongzhi.grid.models import StaffPost
from gongzhi.notifications import services as notifications


def _context(case: Case) -> dict[str, Any]:
    return {
        "code": case.tracking_code,
        "title": case.title,
        "category": catalogue_cache.category_name(case.jurisdiction_id, case.category_id),
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


def _public_link(case: Case) -> str:
    """The tracking page's full address for a text message (GONGZHI_PUBLIC_URL and the page's path); empty when the
    public address is not set: a path alone is no use in a text message, which then names the tracking code only."""
    base = settings.GONGZHI_PUBLIC_URL
    path = _link("portal:track", case.tracking_code) if base else ""
    return base + path if path else ""


def _url(case: Case) -> str:
    return _link("console:case", case.pk)


_ROLES_WITH: dict[str, tuple[str, ...]] = {}


def _roles_with(capability: str) -> tuple[str, ...]:
    found = _ROLES_WITH.get(capability)
    if found is None:
        found = _ROLES_WITH[capability] = tuple(r for r in roles.ROLES if roles.can(r, capability))
    return found


def _posts_query(capability: str, where: str, role: str | None = None) -> prepared.Query:
    """Ids of active users holding an active post with ``capability`` at one node or department, in post order."""
    wanted = (role,) if role else _roles_with(capability)

    def build(target: int) -> Any:
        posts = StaffPost.objects.filter(active=True, user__is_active=True, role__in=wanted, **{where: target})
        return posts.order_by("pk").values_list("user_id")

    return prepared.Query(build)


_DISPATCHERS = _posts_query(roles.CASE_DISPATCH, "node_id")
_NODE_HANDLERS = _posts_query(roles.CASE_ACCEPT, "node_id")
_POOL_STEWARDS = _posts_query(roles.CASE_ACCEPT, "node_id", role=roles.STEWARD)
_DEPARTMENT_HANDLERS = _posts_query(roles.CASE_ACCEPT, "department_id")
_DEPARTMENT_REPORTERS = _posts_query(roles.CASE_REPORT_IN, "department_id")
_ACTIVE_USER = prepared.Query(lambda pk: get_user_model().objects.filter(pk=pk, is_active=True).values_list("pk"))


def _ids(rows: list[tuple[Any, ...]]) -> list[int]:
    return list(dict.fromkeys(row[0] for row in rows))


def dispatcher_ids(case: Case) -> list[int]:
    return _ids(_DISPATCHERS(case.owner_node_id))


def handler_ids(case: Case) -> list[int]:
    if case.handler_user_id is not None:
        return _ids(_ACTIVE_USER(case.handler_user_id))
    if case.handler_node_id is not None:  # a pool is for the micro-grid's stewards
        return _ids((_POOL_STEWARDS if case.pooled else _NODE_HANDLERS)(case.handler_node_id))
    if case.handler_department_id is not None:
        return _ids(_DEPARTMENT_HANDLERS(case.handler_department_id))
    return []


def _staff(case: Case, kind: str, user_ids: list[int]) -> None:
    if user_ids:
        notifications.notify(
            recipient_ids=user_ids,
            ids_are_active=True,
            kind=kind,
            context=_context(case),
            url=_url(case),
            subject=f"case:{case.pk}",
        )


def _resident(case: Case, kind: str) -> None:
    """The reporter hears by in-app message (when signed in) and by SMS (when they left a phone)."""
    if case.reporter_id is not None:
        notifications.notify(
            recipient_ids=[case.reporter_id],
            kind=kind,
            context=_context(case),
            url=_link("portal:track", case.tracking_code),
            subject=f"case:{case.pk}",
        )
    if case.reporter_phone:
        notifications.send_sms(
            phone=case.reporter_phone,
            kind=kind,
            context={**_context(case), "link": _public_link(case)},
            subject=f"case:{case.pk}",
        )


def case_submitted(case: Case, *, receipt: bool = True) -> None:
    if case.urgency == "emergency":
        _staff(case, "case.emergency", dispatcher_ids(case))
    if case.status == t.SUBMITTED and receipt:
        _resident(case, "case.received")


def reporter(case: Case, kind: str) -> None:
    _resident(case, kind)


def new_task(case: Case) -> None:
    _staff(case, "case.new_task", handler_ids(case))


def dispatchers(case: Case, kind: str) -> None:
    _staff(case, kind, dispatcher_ids(case))


def departments(case: Case, department_ids: list[int], kind: str) -> None:
    _staff(case, kind, _ids([row for d in department_ids for row in _DEPARTMENT_REPORTERS(d)]))


def resolved(case: Case) -> None:
    _resident(case, "case.resolved")
    if case.duplicate_count:
        for duplicate in case.duplicates.all():
            _resident(duplicate, "case.resolved")


def rework(case: Case, *, escalated: bool) -> None:
    _staff(case, "case.rework", dispatcher_ids(case) if escalated else handler_ids(case))


def reporter_added(case: Case) -> None:
    """The reporter added information: whoever handles the case hears, else its dispatchers."""
    _staff(case, "case.info_added", handler_ids(case) or dispatcher_ids(case))


def withdrawn(case: Case, handlers: list[int]) -> None:
    """The reporter withdrew the case: its handlers (looked up before the case was changed) and dispatchers hear."""
    _staff(case, "case.withdrawn", list(dict.fromkeys(handlers + dispatcher_ids(case))))


def errand_done(case: Case) -> None:
    """A volunteer reported the case's errand (代办) done: whoever handles the case hears, else its dispatchers."""
    _staff(case, "case.errand_done", handler_ids(case) or dispatcher_ids(case))


def supervised(case: Case) -> None:
    _staff(case, "case.supervised", handler_ids(case) + dispatcher_ids(case))


def warning(case: Case) -> None:
    _staff(case, "case.sla_warning", handler_ids(case))


def breached(case: Case) -> None:
    _staff(case, "case.sla_breached", handler_ids(case) + dispatcher_ids(case))
