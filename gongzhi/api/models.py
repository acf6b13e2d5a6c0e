from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gongzhi.cases.choices import Channel
from gongzhi.cases.models import Case
from gongzhi.core.fields import EncryptedTextField
from gongzhi.grid.models import Jurisdiction


class Partner(models.Model):
    """Another system that exchanges cases with gongzhi (the 12345 hotline platform, a city app): files cases, follows
    them, and receives signed webhooks when their status changes."""

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=32, unique=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="partners"
    )
    channel = models.CharField(
        _("channel of its cases"), max_length=16, choices=Channel.choices, default=Channel.HOTLINE
    )
    active = models.BooleanField(_("active"), default=True)
    webhook_url = models.URLField(_("webhook address"), max_length=500, blank=True)
    webhook_secret = EncryptedTextField(
        _("webhook signing secret"), blank=True, default="", help_text=_("Signs each webhook (HMAC-SHA256).")
    )
    webhook_all_cases = models.BooleanField(
        _("webhooks for every case of the jurisdiction"),
        default=False,
        help_text=_("Off: only for the cases this partner filed."),
    )
    # The last CaseEvent id examined for this partner's webhooks (an outbox cursor over the append-only timeline).
    webhook_cursor = models.BigIntegerField(_("last event examined"), default=0)
    # Per destination: no delivery before this moment after a failure (exponential back-off).
    webhook_paused_until = models.DateTimeField(_("paused until"), null=True, blank=True)
    # A worker holds the destination until then while it sends (no transaction is held across HTTP calls).
    webhook_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("exchange partner")
        verbose_name_plural = _("exchange partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token of a partner system or of a staff user; only its SHA-256 is stored (shown once)."""

    name = models.CharField(_("name"), max_length=100)
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), null=True, blank=True, on_delete=models.CASCADE, related_name="tokens"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    prefix = models.CharField(_("token starts with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=Q(partner__isnull=False, user__isnull=True) | Q(partner__isnull=True, user__isnull=False),
                name="api_token_partner_xor_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class InboundCase(models.Model):
    """A case filed by a partner, under the partner's own id for it (unique per partner)."""

    partner = models.ForeignKey(Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="cases")
    external_id = models.CharField(_("partner's id"), max_length=64)
    case = models.OneToOneField(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="inbound")
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inbound case")
        verbose_name_plural = _("inbound cases")
        constraints = [
            models.UniqueConstraint(fields=["partner", "external_id"], name="inbound_case_external_id_unique")
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.external_id}"


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` a partner sent: the unique constraint makes concurrent retries create one case."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    case = models.ForeignKey(Case, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["partner", "key"], name="idempotency_key_unique")]

    def __str__(self) -> str:
        return self.key


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    RETRYING = "retrying", _("failed, will retry")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed, gave up")


class WebhookDelivery(models.Model):
    """One status change of one case, to one partner. ``sent`` only after the partner answered 2xx."""

    partner = models.ForeignKey(Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.BigIntegerField(_("case event"))
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="+")
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["partner", "event_id"], name="webhook_delivery_once")]
        indexes = [models.Index(fields=["partner", "status", "event_id"], name="webhook_due")]

    def __str__(self) -> str:
        return f"{self.partner} #{self.event_id} {self.status}"
