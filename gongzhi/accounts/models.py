from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core import crypto
from gongzhi.core.fields import EncryptedTextField
from gongzhi.core.privacy import mask_phone


class User(AbstractUser):
    """A person who signs in: staff (through posts in the grid) or, later, a resident (phone + one-time code).

    The personal phone is encrypted at rest; ``phone_index`` is its blind index for lookups.
    A staff member's *work* phone shown to residents (三亮) lives on the post, not here.
    """

    display_name = models.CharField(_("name"), max_length=64, blank=True)
    phone = EncryptedTextField(_("mobile phone"), blank=True, default="", blind_index_field="phone_index")
    phone_index = models.CharField(max_length=32, blank=True, default="", db_index=True, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def set_phone(self, phone: str) -> None:
        normalised = crypto.normalise_phone(phone)
        self.phone = normalised
        self.phone_index = crypto.blind_index(normalised) if normalised else ""

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)
