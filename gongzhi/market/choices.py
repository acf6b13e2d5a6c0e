from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EventKind(models.TextChoices):
    MARKET = "market", _("market day")  # 市集: merchants and volunteers at the community office
    MOBILE = "mobile", _("mobile service day")  # 服务列车进小区: windows set up in a compound


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", pgettext_lazy("market event", "published")
    CANCELLED = "cancelled", _("cancelled")


class PlaceKind(models.TextChoices):
    STATION = "station", _("a station")
    COMPOUND = "compound", _("a compound")
    POINT = "point", _("a point on the map")


class Repeat(models.TextChoices):
    WEEKLY = "weekly", _("on chosen weekdays")
    WORKDAYS = "workdays", _("every working day")


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("confirmed")
    WAITING = "waiting", _("on the waiting list")
    CANCELLED = "cancelled", _("cancelled")
    SERVED = "served", _("served")
    NO_SHOW = "no_show", _("did not come")


class RuleKind(models.TextChoices):
    AGE = "age", _("age")
    GROUP = "group", _("household group")


class BookingAction(models.TextChoices):
    BOOKED = "booked", _("booked")
    WAITLISTED = "waitlisted", _("put on the waiting list")
    PROMOTED = "promoted", _("promoted from the waiting list")
    CANCELLED = "cancelled", _("cancelled")
    CHECKED_IN = "checked_in", _("checked in")
    WALK_UP = "walk_up", _("served without a booking")
    NO_SHOW = "no_show", _("marked as not come")
    REMINDED = "reminded", _("reminded")
