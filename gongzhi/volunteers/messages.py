"""Text messages of the people of the grid (registered with ``notifications`` when the app loads)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongzhi.notifications.messages import register

register(
    "volunteers.appointed",
    label=_("Steward appointed"),
    title=_("Appointed: %(title)s of %(node)s"),
    body=_(
        "You are appointed %(title)s of %(node)s. Your user name is %(username)s: open %(link)s to set your password,"
        " then log in to the staff pages."
    ),
    sms=_("You are appointed %(title)s of %(node)s. User name %(username)s; set your password at %(link)s"),
)
register(
    "volunteers.errand_offered",
    label=_("Errand offered to a volunteer"),
    title=_("An errand for you: %(summary)s"),
    body=_(
        "The community asks you to run an errand (代办): %(summary)s. Answer it under My errands on the resident pages."
    ),
    sms=_("The community asks you to run an errand: %(summary)s. Answer under My errands on the resident pages."),
    sms_link=_("The community asks you to run an errand: %(summary)s. Answer at %(link)s"),
)
