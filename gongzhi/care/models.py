"""The care registry (DESIGN.md §5 "Care"): households and the people living in them, care groups and colour-coded
care levels with their visit intervals, visits, links to the cases a visit opened, consents and the access log.

Personal data is encrypted at rest with the field keys (``core.fields.EncryptedTextField``): a resident's name, ID
number and phone, a household's contact phone. Exact search goes through blind indexes (HMAC under
``GONGZHI_BLIND_INDEX_KEY``): no clear text of those fields is ever stored. The date of birth and sex are derived
from the ID number; the date of birth is kept for ages and figures and is never shown in lists.

Cases belong to ``gongzhi.cases``, a sibling this app must not import: a visit or a resident names the cases opened
for them by id and tracking code (``CaseLink``), written by the interface that filed the case.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.care.choices import (
    Access,
    Assistance,
    ConsentPurpose,
    Level,
    LinkKind,
    MoveAction,
    Outcome,
    Purpose,
    Relation,
    ResidentStatus,
    Sex,
    Unit,
)
from gongzhi.core.fields import EncryptedTextField
from gongzhi.grid.models import Building, GridNode, Jurisdiction


class CareGroup(models.Model):
    """A tag for residents who need care (独居老人, 高龄, 残疾, 低保 …); admins keep the list per jurisdiction."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=64)
    description = models.CharField(_("description"), max_length=200, blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("care group")
        verbose_name_plural = _("care groups")
        ordering = ["jurisdiction", "sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "code"], name="care_group_code_unique")]

    def __str__(self) -> str:
        return self.name


class VisitInterval(models.Model):
    """How often residents of one care level are visited in one jurisdiction (red weekly … by default)."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    level = models.CharField(_("care level"), max_length=8, choices=Level.choices)
    every = models.PositiveSmallIntegerField(_("every"))
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)

    class Meta:
        verbose_name = _("visit interval")
        verbose_name_plural = _("visit intervals")
        ordering = ["jurisdiction", "level"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "level"], name="care_interval_unique")]

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.every} {self.get_unit_display()}"


class Household(models.Model):
    """A household (户) at one door: its building, the grid node that looks after it, its head and contact."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    node = models.ForeignKey(GridNode, verbose_name=_("grid node"), on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(
        Building, verbose_name=_("building"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("ledger number"), max_length=32)
    room = models.CharField(_("unit and room"), max_length=32, blank=True)  # 3单元502
    address = models.CharField(_("address"), max_length=200, blank=True)  # a door without a building in the grid
    head = models.ForeignKey(
        "Resident", verbose_name=_("household head"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact_phone = EncryptedTextField(_("contact phone"), blank=True, default="", blind_index_field="contact_index")
    contact_index = models.CharField(max_length=32, blank=True, default="", db_index=True, editable=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["jurisdiction", "code"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "code"], name="care_household_code_unique")]

    def __str__(self) -> str:
        return self.code


class Resident(models.Model):
    """A person in the registry. Name, ID number and phone are encrypted; each has a blind index for exact search."""

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    # Where the resident is looked after (their household's node; kept after they move away, for the retention rule).
    node = models.ForeignKey(GridNode, verbose_name=_("grid node"), on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    relation = models.CharField(_("relation to the head"), max_length=16, choices=Relation.choices, blank=True)
    name = EncryptedTextField(
        _("name"),
        blank=True,
        default="",
        blind_index_field="name_index",
        blind_index_of="gongzhi.care.services.name_key",  # how a name is indexed and searched
    )
    name_index = models.CharField(max_length=32, blank=True, default="", editable=False)
    id_number = EncryptedTextField(_("ID number"), blank=True, default="", blind_index_field="id_index")
    id_index = models.CharField(max_length=32, blank=True, default="", editable=False)
    # The ID number's region and last four digits, for masked lists (110101********123X): never the date of birth.
    id_masked = models.CharField(_("ID number (masked)"), max_length=18, blank=True, default="")
    phone = EncryptedTextField(_("phone"), blank=True, default="", blind_index_field="phone_index")
    phone_index = models.CharField(max_length=32, blank=True, default="", editable=False)
    born = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ResidentStatus.choices, default=ResidentStatus.LIVING)
    groups = models.ManyToManyField(CareGroup, verbose_name=_("care groups"), blank=True, related_name="residents")
    level = models.CharField(_("care level"), max_length=8, choices=Level.choices, blank=True)
    level_reason = models.CharField(_("why this level"), max_length=200, blank=True)
    level_since = models.DateField(_("level since"), null=True, blank=True)
    last_visit = models.DateField(_("last visited"), null=True, blank=True)
    next_visit_due = models.DateField(_("next visit due"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    moved_away_on = models.DateField(_("moved away on"), null=True, blank=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["name_index"], name="care_resident_name"),
            models.Index(fields=["id_index"], name="care_resident_id"),
            models.Index(fields=["phone_index"], name="care_resident_phone"),
            models.Index(fields=["node", "next_visit_due"], name="care_resident_due"),
            models.Index(fields=["jurisdiction", "status", "moved_away_on"], name="care_resident_moved"),
        ]
        constraints = [
            # One person is in the registry once per jurisdiction (an empty index: erased, or no ID number known).
            models.UniqueConstraint(
                fields=["jurisdiction", "id_index"], condition=~Q(id_index=""), name="care_resident_id_unique"
            ),
            # A resident in care has a level date and a due date; nobody else is scheduled.
            models.CheckConstraint(
                condition=Q(level="", next_visit_due__isnull=True) | (~Q(level="") & Q(level_since__isnull=False)),
                name="care_resident_level_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class LevelChange(models.Model):
    """The history of a resident's care level: from, to, why, who and when (append-only)."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="level_changes")
    level_from = models.CharField(_("from"), max_length=8, choices=Level.choices, blank=True)
    level_to = models.CharField(_("to"), max_length=8, choices=Level.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("care level change")
        verbose_name_plural = _("care level changes")
        ordering = ["resident", "at", "pk"]

    def __str__(self) -> str:
        return f"#{self.resident_id} {self.level_from or '-'} → {self.level_to or '-'}"


class Move(models.Model):
    """Membership history: a resident moved into or out of a household (append-only)."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="moves")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="moves")
    action = models.CharField(_("action"), max_length=16, choices=MoveAction.choices)
    on = models.DateField(_("on"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("move")
        verbose_name_plural = _("moves")
        ordering = ["resident", "on", "pk"]

    def __str__(self) -> str:
        return f"#{self.resident_id} {self.action} {self.on}"


class Visit(models.Model):
    """A visit (走访) to a resident: who went, when, whether it was on time, what they found and what comes next."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="visits")
    node = models.ForeignKey(GridNode, verbose_name=_("grid node"), on_delete=models.PROTECT, related_name="+")
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("visitor"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    level = models.CharField(_("care level"), max_length=8, choices=Level.choices, blank=True)
    due = models.DateField(_("was due"), null=True, blank=True)
    visited_on = models.DateField(_("visited on"))
    on_time = models.BooleanField(_("on time"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    findings = models.TextField(_("findings"), blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    photos = models.JSONField(_("photos"), default=list, blank=True)  # storage names of cleaned photos
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-pk"]
        indexes = [models.Index(fields=["node", "visited_on"], name="care_visit_node_day")]

    def __str__(self) -> str:
        return f"#{self.resident_id} {self.visited_on}"


class CaseLink(models.Model):
    """A case opened for a resident — a problem a visit found, or an assistance application (a case of kind 求助) —
    by id and tracking code (the cases app is a sibling)."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="case_links")
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="case_links")
    kind = models.CharField(_("kind"), max_length=16, choices=LinkKind.choices)
    assistance = models.CharField(_("assistance"), max_length=24, choices=Assistance.choices, blank=True)
    case_id = models.PositiveBigIntegerField(_("case"))
    tracking_code = models.CharField(_("tracking code"), max_length=16)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("case of a resident")
        verbose_name_plural = _("cases of residents")
        ordering = ["-at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["resident", "case_id"], name="care_case_link_unique")]

    def __str__(self) -> str:
        return self.tracking_code


class Consent(models.Model):
    """A consent given or withdrawn, where the law needs one (publishing a photo, sharing a contact …)."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=24, choices=ConsentPurpose.choices)
    given = models.BooleanField(_("given"))
    note = models.CharField(_("how it was given"), max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["resident", "purpose", "-at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.resident_id} {self.purpose} {self.given}"


class AppendOnly(models.Model):
    """Rows that are written once and never changed or deleted through the app."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError("append-only: this row cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("append-only: this row cannot be deleted")


class AccessEntry(AppendOnly):
    """Who opened, exported or erased which record, when and why (PIPL). Append-only: the app never edits or
    deletes a row; the admin shows it read-only and exports it. The resident is named by id (kept after erasure)."""

    at = models.DateTimeField(_("at"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT)
    action = models.CharField(_("action"), max_length=24, choices=Access.choices)
    resident_id_ref = models.PositiveBigIntegerField(_("resident"), null=True, blank=True, db_index=True)
    household_id_ref = models.PositiveBigIntegerField(_("household"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} #{self.resident_id_ref}"
