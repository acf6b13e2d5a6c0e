from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StewardKind(models.TextChoices):
    STEWARD = "steward", _("steward (红色小管家)")
    PART_TIME = "part_time", _("part-time steward (兼职小管家)")


class Occupation(models.TextChoices):
    RETIRED = "retired", _("retired")
    RESIDENT = "resident", _("resident")
    STUDENT = "student", _("student")
    COURIER = "courier", _("courier")
    DELIVERY_RIDER = "delivery_rider", _("delivery rider")
    PROPERTY_STAFF = "property_staff", _("property company staff")
    OTHER = "other", _("other")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    VETTING = "vetting", _("approved by one side")
    APPROVED = "approved", _("approved by the community and the street")
    REJECTED = "rejected", _("rejected")
    APPOINTED = "appointed", _("appointed")
    WITHDRAWN = "withdrawn", _("withdrawn")


class VettingLevel(models.TextChoices):
    COMMUNITY = "community", _("community")
    STREET = "street", _("street")


class StewardStatus(models.TextChoices):
    ACTIVE = "active", _("serving")
    STEPPED_DOWN = "stepped_down", _("stepped down")


class ReportInStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the community")
    APPROVED = "approved", pgettext_lazy("report-in", "approved")
    REJECTED = "rejected", pgettext_lazy("report-in", "rejected")


class ActivityStatus(models.TextChoices):
    PUBLISHED = "published", pgettext_lazy("activity", "published")
    CANCELLED = "cancelled", pgettext_lazy("activity", "cancelled")


class SignUpStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("signed up")
    WAITING = "waiting", _("on the waiting list")
    CANCELLED = "cancelled", pgettext_lazy("sign-up", "cancelled")


class HoursStatus(models.TextChoices):
    SUBMITTED = "submitted", _("waiting for approval")
    APPROVED = "approved", pgettext_lazy("hours", "approved")
    REJECTED = "rejected", pgettext_lazy("hours", "rejected")


class PartyLevel(models.TextChoices):
    """四级架构: community party committee → compound branch → building group → demonstration household."""

    COMMITTEE = "committee", _("community party committee (社区党委)")
    BRANCH = "branch", _("compound party branch (小区党支部)")
    GROUP = "group", _("building party group (楼栋党小组)")
    HOUSEHOLD = "household", _("party member demonstration household (党员中心户)")


class HeadTitle(models.TextChoices):
    """一院三长."""

    COMMUNITY_HEAD = "community_head", _("community service head (社区服务长)")
    COMPOUND_HEAD = "compound_head", _("compound service head (小区服务长)")
    YARD_HEAD = "yard_head", _("yard head (院长)")


class ContactKind(models.TextChoices):
    STREET = "street", _("street")
    VILLAGE = "village", _("village")
    COMMUNITY = "community", _("community")
    ENTERPRISE = "enterprise", _("enterprise")


class ProblemKind(models.TextChoices):
    CASE = "case", _("a case")
    NEED = "need", _("a need")


class ErrandStatus(models.TextChoices):
    """代办: an errand a case's handler offers a volunteer."""

    OFFERED = "offered", _("offered to the volunteer")
    ACCEPTED = "accepted", pgettext_lazy("errand", "accepted")
    DECLINED = "declined", pgettext_lazy("errand", "declined")
    DONE = "done", pgettext_lazy("errand", "done")
    WITHDRAWN = "withdrawn", pgettext_lazy("errand", "withdrawn")
