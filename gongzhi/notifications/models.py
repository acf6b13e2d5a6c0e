from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.privacy import mask_phone


class Notification(models.Model):
    """One message in a user's in-app inbox. Title and body are rendered once, when it is created."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # the (recipient, created_at) indexes below lead with it
    )
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # What it is about, as "app:id" (e.g. "case:123"), so a later change can find or retire related notifications.
    subject = models.CharField(_("subject"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Written by `gongzhi simulate` (services.simulation): stamped with the simulated time and already read, so a
    # simulation never puts news in anyone's inbox.
    simulated = models.BooleanField(_("simulated"), default=False)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notif_inbox"),
            # Small and hot: the unread badge on every staff page and the "unread only" inbox.
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                condition=models.Q(read_at__isnull=True),
                name="notif_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class SmsMessage(models.Model):
    """One text message to a mobile phone: written in the sender's transaction, delivered after it commits."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    phone = EncryptedTextField(_("mobile phone"), blind_index_field="phone_index")
    phone_index = models.CharField(max_length=32, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=64)
    body = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    backend = models.CharField(_("backend"), max_length=200, blank=True)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_id = models.CharField(_("provider message id"), max_length=128, blank=True)
    # What it is about, as "app:id" (e.g. "case:123"), like a notification's subject.
    subject = models.CharField(_("subject"), max_length=100, blank=True)
    # Written by `gongzhi simulate` (services.simulation), or later about something a simulation made up (its
    # subject): to a made-up number. Whichever process sends it, it goes to the null backend, never to the gateway.
    simulated = models.BooleanField(_("simulated"), default=False)

    class Meta:
        verbose_name = _("text message")
        verbose_name_plural = _("text messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The retry sweep looks only at unsent rows.
            models.Index(
                fields=["status", "last_attempt_at"],
                condition=~models.Q(status="sent"),
                name="sms_unsent",
            ),
            models.Index(fields=["-created_at"], name="sms_created"),
            # The delivery loop claims queued rows oldest first; without this it scans the whole table each time.
            models.Index(fields=["id"], condition=models.Q(status="queued"), name="sms_queued"),
            # Is this subject a simulation's? Asked for every text message; empty where no simulation ever ran.
            models.Index(fields=["subject"], condition=models.Q(simulated=True), name="sms_simulated_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.masked_phone} {self.kind}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)
