from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.deliberation import steps, tally


class Step(models.TextChoices):
    COLLECT = steps.COLLECT, _("collecting topics (征集)")
    PROPOSE = steps.PROPOSE, _("proposal (提议)")
    DELIBERATE = steps.DELIBERATE, _("deliberation (商议)")
    DECIDE = steps.DECIDE, _("decision (表决/决议)")
    DECISION_PUBLIC = steps.DECISION_PUBLIC, _("decision made public (决议公开)")
    RESULT_PUBLIC = steps.RESULT_PUBLIC, _("result made public (结果公开)")
    DROPPED = steps.DROPPED, _("dropped")


class Origin(models.TextChoices):
    RESIDENTS = "residents", _("proposed by residents")
    STAFF = "staff", _("started by staff")
    CASE = "case", _("from a case")
    NEED = "need", _("from a need")


class Voice(models.TextChoices):
    """Who speaks in a comment."""

    RESIDENT = "resident", _("resident")
    STAFF = "staff", _("staff")
    STAKEHOLDER = "stakeholder", _("stakeholder")


class MeetingKind(models.TextChoices):
    HEARING = "hearing", _("hearing (恳谈会)")
    COUNCIL = "council", _("deliberation meeting (议事会)")
    FACE_TO_FACE = "face_to_face", _("face to face with the secretary (书记面对面)")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    HELD = "held", _("held")
    CANCELLED = "cancelled", pgettext_lazy("meeting", "cancelled")


class Basis(models.TextChoices):
    """Who has a vote."""

    HOUSEHOLD = "household", _("one vote per household")
    RESIDENT = "resident", _("one vote per resident")
    OWNER_AREA = "owner_area", _("one vote per owner, weighted by floor area")


class ThresholdBase(models.TextChoices):
    CAST = tally.CAST, _("of the votes cast")
    ELIGIBLE = tally.ELIGIBLE, _("of everyone eligible")


class VoteStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    OPEN = "open", pgettext_lazy("vote", "open")
    CLOSED = "closed", pgettext_lazy("vote", "closed")


class EligibilitySource(models.TextChoices):
    REGISTRY = "registry", _("the household registry")
    LIST = "list", _("an imported list")


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", pgettext_lazy("notice", "published")
    WITHDRAWN = "withdrawn", _("withdrawn")


class NoticeKind(models.TextChoices):
    NOTICE = "notice", _("notice (通知)")
    POLICY = "policy", _("policy (政策宣传)")
    MEETING = "meeting", _("meeting")
    SERVICE = "service", _("service day")
    OUTAGE = "outage", _("water, power or gas cut")
