"""The ledger and three lists (一台账三清单) of a community: needs, resources and projects.

Each row belongs to a grid node (a community, or any node below the district) and is read through that node's
subtree scope. A need refers to the case that revealed it by id and tracking code only: this app imports no other
domain (the console orchestrates case → need).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.privacy import mask_phone
from gongzhi.lists.choices import Category, Delivery, NeedAction, NeedSource, NeedStatus, ProjectStatus, ResourceKind


class Need(models.Model):
    node = models.ForeignKey(
        "grid.GridNode", on_delete=models.PROTECT, related_name="needs", verbose_name=_("community")
    )
    compound = models.ForeignKey(
        "grid.Compound", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("compound")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    source = models.CharField(_("source"), max_length=20, choices=NeedSource.choices)
    households = models.PositiveIntegerField(
        _("households affected"), default=1, validators=[MinValueValidator(0), MaxValueValidator(100_000)]
    )
    status = models.CharField(_("status"), max_length=20, choices=NeedStatus.choices, default=NeedStatus.COLLECTED)
    # The case that revealed it (a reference, not a key: lists imports no other domain).
    case_id = models.PositiveBigIntegerField(_("case"), null=True, blank=True, editable=False)
    case_code = models.CharField(_("case tracking code"), max_length=32, blank=True, default="", editable=False)
    created_at = models.DateTimeField(_("recorded at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["case_id"], condition=models.Q(case_id__isnull=False), name="lists_need_one_per_case"
            ),
        ]
        indexes = [models.Index(fields=["node", "status"], name="lists_need_node_status")]

    def __str__(self) -> str:
        return self.title


class NeedEvent(models.Model):
    """Append-only history of a need: who did what, when and why."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=NeedAction.choices)
    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20, choices=NeedStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True, default="")
    at = models.DateTimeField(_("when"))

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.need_id} {self.action}"


class Resource(models.Model):
    node = models.ForeignKey(
        "grid.GridNode", on_delete=models.PROTECT, related_name="resources", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ResourceKind.choices)
    offer = models.TextField(_("what they offer"), blank=True, default="")
    phone = models.CharField(_("public phone"), max_length=40, blank=True, default="")  # the organisation's line
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True, default="")
    contact_phone = EncryptedTextField(_("contact person's mobile"), blank=True, default="")  # personal: masked
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True, default="")
    hours = models.CharField(_("opening hours"), max_length=200, blank=True, default="")
    agreement_signed = models.DateField(_("agreement signed on"), null=True, blank=True)
    agreement_expires = models.DateField(_("agreement expires on"), null=True, blank=True)
    agreement_text = models.TextField(_("agreement"), blank=True, default="")
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ("name", "pk")
        indexes = [models.Index(fields=["node", "kind"], name="lists_resource_node_kind")]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_contact_phone(self) -> str:
        return mask_phone(self.contact_phone)


class Project(models.Model):
    node = models.ForeignKey(
        "grid.GridNode", on_delete=models.PROTECT, related_name="projects", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    provider = models.ForeignKey(
        Resource, on_delete=models.PROTECT, related_name="projects", verbose_name=_("provider")
    )
    needs = models.ManyToManyField(Need, related_name="projects", blank=True, verbose_name=_("needs answered"))
    description = models.TextField(_("description"), blank=True, default="")
    price = models.DecimalField(
        _("price (yuan)"), max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    eligibility = models.TextField(_("who may use it"), blank=True, default="")
    schedule = models.CharField(_("schedule"), max_length=200, blank=True, default="")
    delivery = models.CharField(_("where delivered"), max_length=20, choices=Delivery.choices)
    place = models.CharField(_("place"), max_length=200, blank=True, default="")
    status = models.CharField(_("status"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED)
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ("name", "pk")
        indexes = [models.Index(fields=["node", "status"], name="lists_project_node_status")]
        constraints = [models.CheckConstraint(condition=models.Q(price__gte=0), name="lists_project_price_gte_0")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return self.price == 0
