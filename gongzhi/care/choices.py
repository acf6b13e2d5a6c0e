from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.care import schedule


class Level(models.TextChoices):
    """分类分色: the care level of a resident; each has its own visit interval."""

    RED = schedule.RED, pgettext_lazy("care level", "red")
    YELLOW = schedule.YELLOW, pgettext_lazy("care level", "yellow")
    GREEN = schedule.GREEN, pgettext_lazy("care level", "green")


class Unit(models.TextChoices):
    DAY = schedule.DAY, _("days")
    WEEK = schedule.WEEK, _("weeks")
    MONTH = schedule.MONTH, _("months")


class Sex(models.TextChoices):
    MALE = "m", _("male")
    FEMALE = "f", _("female")


class Relation(models.TextChoices):
    HEAD = "head", _("household head")
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")
    GRANDCHILD = "grandchild", _("grandchild")
    OTHER = "other", _("other relative or lodger")


class ResidentStatus(models.TextChoices):
    LIVING = "living", _("lives here")
    MOVED_AWAY = "moved_away", _("moved away")
    DECEASED = "deceased", _("deceased")
    ERASED = "erased", _("erased on request")


class MoveAction(models.TextChoices):
    MOVED_IN = "moved_in", _("moved in")
    MOVED_OUT = "moved_out", _("moved out")


class Outcome(models.TextChoices):
    """What a visit found."""

    WELL = "well", _("all well")
    PROBLEM = "problem", _("found a problem")
    NEEDS_HELP = "needs_help", _("needs assistance")
    NOT_HOME = "not_home", _("nobody at home")


class Purpose(models.TextChoices):
    """Why a member of staff opened a full record (PIPL: every read is logged with its purpose)."""

    VISIT = "visit", _("a visit")
    HELP = "help", _("an assistance application")
    CASE = "case", _("handling a case")
    VERIFY = "verify", _("checking the ledger")
    REQUEST = "request", _("the resident's own request")
    EMERGENCY = "emergency", _("an emergency")


class Access(models.TextChoices):
    """What an access-log row records."""

    READ = "read", _("opened the full record")
    EXPORT_OWN = "export_own", _("exported the resident's data on their request")
    ERASE = "erase", _("erased on the resident's request")
    EXPORT_REGISTRY = "export_registry", _("exported the registry")


class Assistance(models.TextChoices):
    """Kinds of assistance application (求助), each filed as a case of kind help."""

    SUBSISTENCE = "subsistence", _("minimum living allowance (低保)")
    EXTREME_POVERTY = "extreme_poverty", _("extreme poverty support (特困供养)")
    TEMPORARY = "temporary", _("temporary assistance (临时救助)")
    ELDERLY_SUBSIDY = "elderly_subsidy", _("elderly care subsidy (养老服务补贴)")
    DISABILITY = "disability", _("disability subsidy (残疾人两项补贴)")
    OTHER = "other", _("other assistance")


class LinkKind(models.TextChoices):
    PROBLEM = "problem", _("a problem found on a visit")
    HELP = "help", _("an assistance application")


class ConsentPurpose(models.TextChoices):
    PHOTO_PUBLISH = "photo_publish", _("publishing a photo of them")
    SHARE_PROVIDER = "share_provider", _("sharing their contact with a service provider")
    SMS = "sms", _("receiving text messages")
