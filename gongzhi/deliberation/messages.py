"""Text messages of deliberation (registered with ``notifications`` when the app loads): a notice texted to the
residents who asked for their building's notices. Placeholders: title (the notice's), building, link (the opt-out
page: absolute with GONGZHI_PUBLIC_URL, else its path); keep it short — a text message part is 70 Chinese
characters."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongzhi.notifications.messages import register

NOTICE = "deliberation.notice"
NOTICE_URGENT = "deliberation.notice_urgent"

register(
    NOTICE,
    label=_("Notice to a building"),
    title=_("Notice: %(title)s"),
    body=_("A notice for %(building)s: %(title)s. To stop these texts: %(link)s"),
    sms=_("Notice for %(building)s: %(title)s. Stop these texts: %(link)s"),
)
register(
    NOTICE_URGENT,
    label=_("Urgent notice to a building"),
    title=_("Urgent notice: %(title)s"),
    body=_("An urgent notice for %(building)s: %(title)s. To stop these texts: %(link)s"),
    sms=_("URGENT for %(building)s: %(title)s. Stop these texts: %(link)s"),
)
