from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.grid import roles


class Level(models.TextChoices):
    DISTRICT = roles.DISTRICT, _("district")
    STREET = roles.STREET, _("street")
    COMMUNITY = roles.COMMUNITY, _("community")
    GRID = roles.GRID, _("grid")
    MICRO_GRID = roles.MICRO_GRID, _("micro-grid")


class Role(models.TextChoices):
    RESIDENT = roles.RESIDENT, _("resident")
    STEWARD = roles.STEWARD, _("steward")
    PATROL = roles.PATROL, _("part-time steward")
    GRID_WORKER = roles.GRID_WORKER, _("grid worker")
    COMMUNITY_STAFF = roles.COMMUNITY_STAFF, _("community staff")
    STREET_STAFF = roles.STREET_STAFF, _("street staff")
    DEPARTMENT_STAFF = roles.DEPARTMENT_STAFF, _("department staff")
    COMMAND_CENTRE = roles.COMMAND_CENTRE, _("command centre operator")
    LEADER = roles.LEADER, _("leader")
    ADMIN = roles.ADMIN, _("administrator")


class DepartmentKind(models.TextChoices):
    CITY_MANAGEMENT = "city_management", _("city management")
    HOUSING = "housing", _("housing and construction")
    POWER = "power", _("power supply")
    WATER = "water", _("water supply")
    ENVIRONMENT = "environment", _("ecology and environment")
    POLICE = "police", _("police station")
    PROPERTY = "property", _("property management company")
    CIVIL_AFFAIRS = "civil_affairs", _("civil affairs")
    TRANSPORT = "transport", _("transport")
    MARKET = "market", _("market regulation")
    HEALTH = "health", _("health")
    GAS = "gas", _("gas supply")
    EMERGENCY = "emergency", _("emergency management")
    OTHER = "other", _("other")
