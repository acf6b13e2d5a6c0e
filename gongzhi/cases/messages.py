"""Notification templates of case events (registered with ``notifications`` when the app loads)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongzhi.notifications.messages import register

# Residents: in-app and SMS. Placeholders: code, title, category, due, level; link (the public tracking page, only
# when GONGZHI_PUBLIC_URL is set: the sms_link wording) — keep each SMS within one part (70 characters in Chinese).
register(
    "case.received",
    label=_("Request received"),
    title=_("We received your request %(code)s"),
    body=_("Your request “%(title)s” has been received. Follow it with the tracking code %(code)s."),
    sms=_("Your request has been received. Tracking code %(code)s."),
    sms_link=_("Your request has been received. Follow it at %(link)s"),
)
register(
    "case.accepted",
    label=_("Request accepted"),
    title=_("Your request %(code)s is being handled"),
    body=_("Someone has taken on your request “%(title)s” and is working on it."),
    sms=_("Your request %(code)s has been accepted and is being handled."),
    sms_link=_("Your request has been accepted and is being handled: %(link)s"),
)
register(
    "case.resolved",
    label=_("Request resolved"),
    title=_("Your request %(code)s has been resolved — please rate it"),
    body=_("“%(title)s” has been resolved. Please tell us whether you are satisfied and whether it is solved."),
    sms=_("Your request %(code)s has been resolved. Please rate the result with the tracking code."),
    sms_link=_("Your request has been resolved. Please rate the result: %(link)s"),
)
register(
    "case.rejected",
    label=_("Request not accepted"),
    title=_("Your request %(code)s was not accepted"),
    body=_("“%(title)s” could not be taken on; the reason is shown with the request."),
    sms=_("Your request %(code)s could not be taken on. See the reason with the tracking code."),
    sms_link=_("Your request could not be taken on. The reason: %(link)s"),
)
register(
    "case.merged",
    label=_("Request merged"),
    title=_("Your request %(code)s joins an existing case"),
    body=_("“%(title)s” is already being handled as part of another case; you will hear when it is resolved."),
    sms=_("Your request %(code)s is already being handled with another report of the same problem."),
    sms_link=_("Your request is being handled with another report of the same problem: %(link)s"),
)
# Staff: in-app.
register(
    "case.emergency",
    label=_("Emergency"),
    title=_("Emergency: %(title)s"),
    body=_("Emergency request %(code)s needs to be dispatched now."),
)
register(
    "case.new_task",
    label=_("New task"),
    title=_("New task: %(title)s"),
    body=_("Case %(code)s (%(category)s) has been dispatched to you; resolve by %(due)s."),
)
register(
    "case.returned",
    label=_("Case returned"),
    title=_("Returned: %(title)s"),
    body=_("Case %(code)s was returned to you for dispatch."),
)
register(
    "case.escalated",
    label=_("Case escalated"),
    title=_("Escalated to you: %(title)s"),
    body=_("Case %(code)s has been escalated to the %(level)s level."),
)
register(
    "case.whistled",
    label=_("Department summoned"),
    title=_("Your department is summoned: %(title)s"),
    body=_("Case %(code)s needs your department (吹哨报到); report in by %(due)s."),
)
register(
    "case.reported_in",
    label=_("Department reported in"),
    title=_("A department reported in: %(title)s"),
    body=_("A summoned department reported in on case %(code)s."),
)
register(
    "case.rework",
    label=_("Rework"),
    title=_("Rework: %(title)s"),
    body=_("The resident was not satisfied with case %(code)s; it is back with you, resolve by %(due)s."),
)
register(
    "case.supervised",
    label=_("Supervision notice"),
    title=_("Supervision notice: %(title)s"),
    body=_("Case %(code)s is under supervision (督办); resolve by %(due)s."),
)
register(
    "case.sla_warning",
    label=_("Deadline warning"),
    title=_("Due soon: %(title)s"),
    body=_("Case %(code)s must be resolved by %(due)s."),
)
register(
    "case.sla_breached",
    label=_("Deadline passed"),
    title=_("Overdue: %(title)s"),
    body=_("Case %(code)s passed its deadline %(due)s; it will be escalated if it stays unresolved."),
)
register(
    "case.info_added",
    label=_("Information added by the resident"),
    title=_("The resident added information: %(title)s"),
    body=_("The resident who reported case %(code)s added information; see it in the case's timeline."),
)
register(
    "case.withdrawn",
    label=_("Request withdrawn"),
    title=_("Withdrawn by the resident: %(title)s"),
    body=_("The resident withdrew case %(code)s; no further work is needed. Their reason is in the timeline."),
)
register(
    "case.errand_done",
    label=_("Errand done by a volunteer"),
    title=_("Errand done: %(title)s"),
    body=_(
        "The volunteer running the errand of case %(code)s reported it done; see the timeline, then resolve the case."
    ),
)
