"""Triage data. ``routing`` sits below ``cases`` (DESIGN.md §3), so rows refer to cases, grid nodes and buildings by
plain integer ids; the case engine is the one that joins them.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    DEMO = "demo", _("generated demo text")
    HISTORY = "history", _("closed cases")
    FILE = "file", _("labelled file")


class TriageModel(models.Model):
    """One trained classifier of a jurisdiction. Exactly one version is active; rolling back activates an older one."""

    jurisdiction_id = models.BigIntegerField(_("jurisdiction"))
    version = models.PositiveIntegerField(_("version"))
    source = models.CharField(_("trained on"), max_length=16, choices=Source.choices)
    samples = models.PositiveIntegerField(_("training samples"), default=0)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    blob = models.BinaryField(_("model"))
    active = models.BooleanField(_("active"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("triage model")
        verbose_name_plural = _("triage models")
        ordering = ["jurisdiction_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction_id", "version"], name="triage_model_version_unique"),
            models.UniqueConstraint(
                fields=["jurisdiction_id"], condition=models.Q(active=True), name="triage_model_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.source})"


class TriageSettings(models.Model):
    """A jurisdiction's own thresholds; an empty field falls back to the GONGZHI_TRIAGE_* setting."""

    jurisdiction_id = models.BigIntegerField(_("jurisdiction"), unique=True)
    auto_confidence = models.FloatField(_("apply automatically from confidence"), null=True, blank=True)
    duplicate_distance_m = models.FloatField(_("duplicate distance (m)"), null=True, blank=True)
    duplicate_window_hours = models.FloatField(_("duplicate time window (hours)"), null=True, blank=True)
    duplicate_similarity = models.FloatField(_("duplicate text similarity"), null=True, blank=True)

    class Meta:
        verbose_name = _("triage settings")
        verbose_name_plural = _("triage settings")

    def __str__(self) -> str:
        return f"{self.jurisdiction_id}"


class CaseTriage(models.Model):
    """What triage said about one case when it was submitted: suggestions, urgency, duplicates, place from text.
    Also the index the duplicate finder and the hot-issue clustering read (text, place, time)."""

    case_id = models.BigIntegerField(_("case"), unique=True)
    jurisdiction_id = models.BigIntegerField(_("jurisdiction"))
    submitted_at = models.DateTimeField(_("submitted at"))
    text = models.CharField(_("text"), max_length=300)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    node_id = models.BigIntegerField(_("grid node"), null=True, blank=True)
    node_path = models.CharField(_("grid path"), max_length=64, blank=True)
    category = models.CharField(_("suggested category"), max_length=64, blank=True)
    # The map cell of (lat, lon) (similarity.cell_of): the duplicate finder reads the cells around a new request.
    cell = models.BigIntegerField(_("map cell"), null=True, blank=True)
    confidence = models.FloatField(_("confidence"), default=0.0)
    auto_applied = models.BooleanField(_("applied automatically"), default=False)
    emergency = models.BooleanField(_("emergency"), default=False)
    # {"top": [[code, p], ...], "unit": [code, p], "level": [code, p], "reasons": [...], "model": version,
    #  "duplicates": [{"case": id, "similarity": s, "distance_m": d}], "place": {...}}
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("case triage")
        verbose_name_plural = _("case triage")
        indexes = [
            models.Index(fields=["jurisdiction_id", "submitted_at"], name="case_triage_recent"),
            models.Index(fields=["jurisdiction_id", "cell", "submitted_at"], name="case_triage_nearby"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.category or '—'}"


class Place(models.Model):
    """A name the location-from-text matcher knows: buildings, compounds and grid units of the jurisdiction."""

    jurisdiction_id = models.BigIntegerField(_("jurisdiction"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16)
    node_id = models.BigIntegerField(_("grid node"), null=True, blank=True)
    building_id = models.BigIntegerField(_("building"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("place name")
        verbose_name_plural = _("place names")
        indexes = [models.Index(fields=["jurisdiction_id"], name="routing_place_jurisdiction")]

    def __str__(self) -> str:
        return self.name
