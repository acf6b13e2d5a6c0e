from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.lists import transitions as t


class NeedStatus(models.TextChoices):
    COLLECTED = t.COLLECTED, _("collected")
    MATCHED = t.MATCHED, _("matched")
    SERVED = t.SERVED, _("served")
    CLOSED = t.CLOSED, pgettext_lazy("need", "closed")


class NeedAction(models.TextChoices):
    CREATE = t.CREATE, _("recorded")
    MATCH = t.MATCH, _("matched")
    SERVE = t.SERVE, _("served")
    CLOSE = t.CLOSE, pgettext_lazy("need", "closed")
    REOPEN = t.REOPEN, _("reopened")


class Category(models.TextChoices):
    """What a need asks for and what a project offers (the handbook groups projects by it)."""

    ELDERLY = "elderly", _("elderly care")
    CHILDREN = "children", _("children and youth")
    HEALTH = "health", _("health")
    DISABILITY = "disability", _("disability support")
    EMPLOYMENT = "employment", _("jobs and skills")
    HOUSEKEEPING = "housekeeping", _("repairs and housekeeping")
    CULTURE = "culture", _("culture and sport")
    LEGAL = "legal", _("legal advice")
    ENVIRONMENT = "environment", _("environment")
    OTHER = "other", _("other")


class NeedSource(models.TextChoices):
    SURVEY = "survey", _("survey")
    VISIT = "visit", _("home visit")
    CASE = "case", _("case")
    MEETING = "meeting", _("meeting")
    OTHER = "other", _("other")


class ResourceKind(models.TextChoices):
    ORGANISATION = "organisation", _("organisation")
    STATIONED_UNIT = "stationed_unit", _("unit stationed in the area")
    MERCHANT = "merchant", _("merchant")
    CLINIC = "clinic", _("clinic")
    ELDERLY_CARE = "elderly_care", _("elderly care")
    SOCIAL_ORG = "social_org", _("social organisation")
    VOLUNTEER_TEAM = "volunteer_team", _("volunteer team")


class Delivery(models.TextChoices):
    STATION = "station", _("at a service station")
    MARKET = "market", _("at a market day")
    DOOR = "door", _("door to door")
    ONLINE = "online", _("online")
    OTHER = "other", _("elsewhere")


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    ACTIVE = "active", _("active")
    ENDED = "ended", _("ended")
