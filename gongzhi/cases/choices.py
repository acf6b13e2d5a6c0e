from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.cases import transitions as t


class Kind(models.TextChoices):
    REPORT = "report", _("report (报事)")
    ERRAND = "errand", _("errand (办事)")
    HELP = "help", _("help (求助)")


class Channel(models.TextChoices):
    QR = "qr", _("building QR code")
    WEB = "web", _("web page")
    WALK_IN = "walk_in", _("walk-in service point")
    HOTLINE = "hotline", _("12345 hotline")
    PHONE = "phone", _("phone call")
    PATROL = "patrol", _("found on patrol")
    VISIT = "visit", _("found on a visit")
    API = "api", _("other system")


class Status(models.TextChoices):
    SUBMITTED = t.SUBMITTED, _("submitted")
    TRIAGED = t.TRIAGED, _("triaged")
    DISPATCHED = t.DISPATCHED, _("dispatched")
    ACCEPTED = t.ACCEPTED, _("accepted")
    ON_HOLD = t.ON_HOLD, _("on hold")
    RESOLVED = t.RESOLVED, _("resolved")
    CLOSED = t.CLOSED, _("closed")
    REJECTED = t.REJECTED, _("rejected")
    MERGED = t.MERGED, _("merged")
    WITHDRAWN = t.WITHDRAWN, _("withdrawn")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")
    EMERGENCY = "emergency", _("emergency")


class SlaState(models.TextChoices):
    ON_TRACK = "on_track", _("on track")
    WARNING = "warning", _("due soon")
    BREACHED = "breached", _("overdue")
    PAUSED = "paused", _("paused")
    DONE = "done", _("done")


class Score(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied (满意)")
    BASICALLY = "basically", _("basically satisfied (基本满意)")
    UNSATISFIED = "unsatisfied", _("unsatisfied (不满意)")


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    TRIAGED = "triaged", _("triaged")
    REJECTED = "rejected", _("rejected")
    MERGED = "merged", _("merged into another case")
    DUPLICATE_ATTACHED = "duplicate_attached", _("duplicate attached")
    DISPATCHED = "dispatched", _("dispatched")
    ACCEPTED = "accepted", _("accepted")
    RETURNED = "returned", _("returned")
    ESCALATED = "escalated", _("escalated")
    WHISTLED = "whistled", _("departments summoned")
    REPORTED_IN = "reported_in", _("department reported in")
    HELD = "held", _("put on hold")
    RESUMED = "resumed", _("resumed")
    RESOLVED = "resolved", _("resolved")
    PUBLISHED = "published", _("published")
    RATED = "rated", _("rated")
    REWORK = "rework", _("reopened for rework")
    CLOSED = "closed", _("closed")
    SUPERVISED = "supervised", _("supervision notice")
    SLA_WARNING = "sla_warning", _("deadline approaching")
    SLA_BREACHED = "sla_breached", _("deadline passed")
    INFO_ADDED = "info_added", _("information added by the reporter")
    WITHDRAWN = "withdrawn", _("withdrawn by the reporter")
    ANONYMISED = "anonymised", _("personal data removed on request")
    ERRAND_GIVEN = "errand_given", _("handed to a volunteer (代办)")
    ERRAND_DONE = "errand_done", _("volunteer reported the errand done")


class CoTaskStatus(models.TextChoices):
    SUMMONED = "summoned", _("summoned")
    REPORTED = "reported", _("reported in")


class NoticeKind(models.TextChoices):
    MANUAL = "manual", _("manual")
    BREACH = "breach", _("automatic, deadline passed")


class RevealBasis(models.TextChoices):
    """Why a staff member was allowed to see a reporter's phone (cases.policies.phone_reveal_basis)."""

    HANDLER = "handler", _("handles the case")
    HANDLING_UNIT = "handling_unit", _("serves the handling unit")
    HANDLING_DEPARTMENT = "handling_department", _("serves the handling department")
    OWNER_DESK = "owner_desk", _("sits at the owning desk")
    ABOVE = "above", _("supervises from above in the grid")
