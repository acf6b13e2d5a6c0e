"""Inbox messages of the care registry (registered with ``notifications`` when the app loads). Counts only: never a
resident's name, ID number or phone."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongzhi.notifications.messages import register

VISITS_DUE = "care.visits_due"

register(
    VISITS_DUE,
    label=_("Care visits to make"),
    title=_("Visits to make today: %(overdue)s overdue, %(due_today)s due today"),
    body=_(
        "In your area %(overdue)s visits to residents in care are overdue and %(due_today)s are due today. "
        "Open your visits of the day in the care registry to see them."
    ),
)
