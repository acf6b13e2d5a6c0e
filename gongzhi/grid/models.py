from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.grid import roles
from gongzhi.grid.choices import DepartmentKind, Level, Role

# Materialised paths: one fixed-width base-36 segment per level, so a subtree is one indexed prefix scan.
PATH_SEGMENT_WIDTH = 4
PATH_MAX_LENGTH = PATH_SEGMENT_WIDTH * len(roles.LEVELS)


def new_public_token() -> str:
    # 16 url-safe characters (96 bits): unguessable, short enough for a QR code that prints small.
    return secrets.token_urlsafe(12)


class Jurisdiction(models.Model):
    """One deployment tenant, usually a district; its ``code`` is the Open311 ``jurisdiction_id``."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # Bumped by grid.services whenever a boundary changes; processes compare it to drop stale geo indexes.
    boundary_version = models.PositiveIntegerField(_("boundary version"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class GridNode(models.Model):
    """A node of the five-level grid 区 → 街道 → 社区 → 片区网格 → 微网格."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="nodes"
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    path = models.CharField(_("path"), max_length=PATH_MAX_LENGTH, editable=False)
    boundary = models.JSONField(_("boundary (GeoJSON geometry)"), null=True, blank=True)
    centroid_lat = models.FloatField(_("centroid latitude"), null=True, blank=True, editable=False)
    centroid_lon = models.FloatField(_("centroid longitude"), null=True, blank=True, editable=False)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("grid node")
        verbose_name_plural = _("grid nodes")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "code"], name="grid_node_code_unique"),
            models.UniqueConstraint(fields=["jurisdiction", "path"], name="grid_node_path_unique"),
            models.CheckConstraint(
                condition=Q(level=roles.DISTRICT, parent__isnull=True)
                | Q(~Q(level=roles.DISTRICT), parent__isnull=False),
                name="grid_node_only_district_is_root",
            ),
        ]
        indexes = [
            # varchar_pattern_ops makes LIKE 'prefix%' use the index on PostgreSQL whatever the collation.
            models.Index(fields=["path"], name="grid_node_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["jurisdiction", "level"], name="grid_node_level"),
        ]

    def __str__(self) -> str:
        return f"{self.name}"

    @property
    def level_index(self) -> int:
        return roles.level_index(self.level)

    def is_ancestor_of(self, other: GridNode) -> bool:
        """True when ``other`` is this node or below it."""
        return self.jurisdiction_id == other.jurisdiction_id and other.path.startswith(self.path)


class Department(models.Model):
    """A handling unit outside the grid tree (城管, 住建, 供电 …, or a property company)."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="departments"
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=DepartmentKind.choices, default=DepartmentKind.OTHER)
    # The area it serves: a street-level 城管中队 serves its street; empty means the whole jurisdiction.
    service_area = models.ForeignKey(
        GridNode,
        verbose_name=_("service area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="departments",
    )
    phone = models.CharField(_("public phone"), max_length=32, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["jurisdiction", "code"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "code"], name="department_code_unique")]

    def __str__(self) -> str:
        return self.name


class Compound(models.Model):
    """A residential compound (小区); it sits in one grid node, its buildings in micro-grids."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="compounds"
    )
    node = models.ForeignKey(GridNode, verbose_name=_("grid node"), on_delete=models.PROTECT, related_name="compounds")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    property_company = models.ForeignKey(
        Department,
        verbose_name=_("property company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="compounds",
    )

    class Meta:
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")
        ordering = ["jurisdiction", "code"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "code"], name="compound_code_unique")]
        # The maps ask for the compounds of one tile (grid.mapdata): a latitude band, then longitude.
        indexes = [models.Index(fields=["jurisdiction", "lat", "lon"], name="compound_position")]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A building; its QR code carries ``public_token`` so a report knows compound, building and grid at once."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="buildings"
    )
    compound = models.ForeignKey(
        Compound, verbose_name=_("compound"), null=True, blank=True, on_delete=models.PROTECT, related_name="buildings"
    )
    node = models.ForeignKey(GridNode, verbose_name=_("grid node"), on_delete=models.PROTECT, related_name="buildings")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    public_token = models.CharField(_("QR token"), max_length=32, unique=True, default=new_public_token, editable=False)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["jurisdiction", "code"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "code"], name="building_code_unique")]
        indexes = [models.Index(fields=["jurisdiction", "lat", "lon"], name="building_position")]

    def __str__(self) -> str:
        if self.compound_id and not self.name.startswith(self.compound.name):
            return f"{self.compound.name} {self.name}"
        return self.name


class StaffPost(models.Model):
    """A user's post: a role on a grid node (scope = its subtree) or on a department. Shown publicly as 三亮."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="posts"
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="posts"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    node = models.ForeignKey(
        GridNode, verbose_name=_("grid node"), null=True, blank=True, on_delete=models.PROTECT, related_name="posts"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="posts"
    )
    # 三亮: identity (name + photo), duty, phone — what residents see on the card and the QR poster.
    title = models.CharField(_("post title"), max_length=64, blank=True, help_text=_("e.g. 网格员, 微网格长, 小管家"))
    duty = models.CharField(_("duty"), max_length=200, blank=True)
    public_phone = models.CharField(_("work phone"), max_length=32, blank=True)
    photo = models.ImageField(_("photo"), upload_to="staff/", blank=True)
    is_public = models.BooleanField(_("shown to residents"), default=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff post")
        verbose_name_plural = _("staff posts")
        ordering = ["jurisdiction", "role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(node__isnull=True, department__isnull=False)
                | Q(node__isnull=False, department__isnull=True),
                name="staff_post_node_xor_department",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "node"], condition=Q(node__isnull=False), name="staff_post_unique_on_node"
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=Q(department__isnull=False),
                name="staff_post_unique_on_department",
            ),
        ]

    def __str__(self) -> str:
        place = self.node or self.department
        return f"{self.user} · {self.get_role_display()} · {place}"

    def can(self, capability: str) -> bool:
        return self.active and roles.can(self.role, capability)
