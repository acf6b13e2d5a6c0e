"""Periodic jobs of the care registry, run by ``gongzhi worker``: the daily reminder of the visits to make.

``send_visit_reminders`` puts one message a day in the inbox of each visitor (``selectors.visitors_for`` the
resident's grid node: the micro-grid's steward, the grid's grid workers) who has visits overdue or due today, saying
how many — counts only, no resident named. Never twice the same day: the day's message carries the day as its
subject, and a visitor who has it already is skipped (a worker restarted, or running every few minutes, sends
nothing more). Nothing is sent before ``REMINDER_HOUR`` local time, so the message is there when the day starts.

The retention rule (erasing residents who moved away long ago) is not here: it anonymises their cases too, which the
care app may not call — ``ops.care_jobs`` runs it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from gongzhi.care import selectors
from gongzhi.care.choices import ResidentStatus
from gongzhi.care.messages import VISITS_DUE
from gongzhi.care.models import Resident
from gongzhi.core import timeutil
from gongzhi.grid.models import GridNode
from gongzhi.notifications import services as notifications
from gongzhi.notifications.models import Notification

REMINDER_HOUR = 7


def reminder_subject(day: date) -> str:
    return f"care-visits:{day.isoformat()}"


def visits_due_by_visitor(*, today: date) -> dict[Any, tuple[int, int]]:
    """Each visitor with visits to make on ``today``: (overdue, due today), over the nodes they visit."""
    per_node = {
        row["node_id"]: (row["overdue"], row["due_today"])
        for row in Resident.objects.filter(status=ResidentStatus.LIVING, next_visit_due__lte=today)
        .exclude(level="")
        .values("node_id")
        .annotate(
            overdue=Count("pk", filter=Q(next_visit_due__lt=today)),
            due_today=Count("pk", filter=Q(next_visit_due=today)),
        )
        .order_by()
    }
    found: dict[Any, list[int]] = {}
    users: dict[int, Any] = {}
    for node in GridNode.objects.filter(pk__in=list(per_node)).order_by("path"):
        overdue, due_today = per_node[node.pk]
        for user in selectors.visitors_for(node):
            users.setdefault(user.pk, user)
            counts = found.setdefault(user.pk, [0, 0])
            counts[0] += overdue
            counts[1] += due_today
    return {users[pk]: (c[0], c[1]) for pk, c in found.items()}


def send_visit_reminders(*, now: datetime | None = None) -> int:
    """Worker: today's reminder to each visitor with visits overdue or due, once a day. Returns how many were sent."""
    now = now or timeutil.now()
    local = timeutil.local(now)
    if local.hour < REMINDER_HOUR:
        return 0
    today = local.date()
    subject = reminder_subject(today)
    told = set(Notification.objects.filter(kind=VISITS_DUE, subject=subject).values_list("recipient_id", flat=True))
    sent = 0
    for user, (overdue, due_today) in visits_due_by_visitor(today=today).items():
        if user.pk in told:
            continue
        with transaction.atomic():
            rows = notifications.notify(
                recipients=[user],
                kind=VISITS_DUE,
                context={"overdue": overdue, "due_today": due_today},
                subject=subject,
            )
        sent += len(rows)
    return sent
