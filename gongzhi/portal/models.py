"""Data the resident portal keeps for itself: one-time login codes (its rate-limit counters are ``core.Throttle``;
the service points it lists are ``stations.Station``)."""

from __future__ import annotations

from django.db import models


class LoginCode(models.Model):
    """A one-time code sent by text message; only its keyed hash is stored."""

    phone_index = models.CharField(max_length=32, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.phone_index[:8]} {self.created_at:%Y-%m-%d %H:%M}"
