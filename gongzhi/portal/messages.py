"""Notification templates of the resident portal (registered with ``notifications`` when the app loads)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongzhi.notifications.messages import register

register(
    "portal.login_code",
    label=_("Login code"),
    title=_("Your login code"),
    body=_("Your login code is %(code)s. It is valid for %(minutes)s minutes."),
    sms=_("Your login code is %(code)s, valid for %(minutes)s minutes. Do not tell it to anyone."),
)
