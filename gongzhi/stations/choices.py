from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    STATION = "station", _("service station (驿站)")
    SERVICE_POINT = "service_point", _("service point (便民服务点)")
    STEWARD_POINT = "steward_point", _("steward point (小区管家驻点)")


class Tier(models.IntegerChoices):
    ONE = 1, _("tier 1")
    TWO = 2, _("tier 2")
    THREE = 3, _("tier 3")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class MatterMode(models.TextChoices):
    ONLINE = "online", _("online (不见面审批)")
    PROXY = "proxy", _("handled for you (代办)")
