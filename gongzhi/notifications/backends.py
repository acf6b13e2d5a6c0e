"""SMS backends: the one place that talks to a gateway.

``GONGZHI_SMS_BACKEND`` is a short name (console, file, null, locmem) or the dotted path of a ``SmsBackend``
subclass; ``GONGZHI_SMS_OPTIONS`` (a JSON object) is passed to its constructor. See README.md for writing a gateway.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from gongzhi.core.privacy import mask_phone

log = logging.getLogger("gongzhi.notifications.sms")


class SmsError(Exception):
    """The gateway did not take the message; the text is recorded on the message as its last error."""


class SmsBackend:
    """Send one text message. Subclasses implement ``send``; options come from GONGZHI_SMS_OPTIONS.

    ``send`` returns the provider's message id and raises SmsError when the gateway refuses or cannot be reached.
    It must time out well within a minute: deliveries in flight longer than ``services.SEND_LEASE`` are presumed
    lost and may be sent again.
    """

    def __init__(self, **options: Any) -> None:
        self.options = options

    def send(self, phone: str, body: str) -> str:
        raise NotImplementedError


class ConsoleBackend(SmsBackend):
    """Development default: logs a line with the phone masked, sends nothing."""

    def send(self, phone: str, body: str) -> str:
        message_id = f"console-{uuid.uuid4().hex}"
        log.info("SMS to %s: %s", mask_phone(phone), body)
        return message_id


class NullBackend(SmsBackend):
    """Accepts and discards every message."""

    def send(self, phone: str, body: str) -> str:
        return f"null-{uuid.uuid4().hex}"


class FileBackend(SmsBackend):
    """Appends one JSON object per message to DATA_DIR/sms/outbox.jsonl (or the ``path`` option).

    For tests and demos: the file holds phone numbers in clear, like a gateway's own log would.
    """

    _lock = threading.Lock()

    @property
    def path(self) -> Path:
        if self.options.get("path"):
            return Path(str(self.options["path"]))
        return Path(settings.DATA_DIR) / "sms" / "outbox.jsonl"

    def send(self, phone: str, body: str) -> str:
        message_id = f"file-{uuid.uuid4().hex}"
        record = {"id": message_id, "at": timezone.now().isoformat(), "phone": phone, "body": body}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        path = self.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # One write of one line in append mode, so lines from several processes do not interleave.
            with self._lock, path.open("a", encoding="utf-8") as handle:
                handle.write(line)
        except OSError as exc:
            raise SmsError(f"cannot write {path}: {exc}") from exc
        return message_id


class SentSms(NamedTuple):
    phone: str
    body: str
    provider_id: str


# What LocMemBackend "sent", oldest first; tests clear it (like django.core.mail.outbox).
outbox: list[SentSms] = []


class LocMemBackend(SmsBackend):
    """Keeps messages in ``backends.outbox`` in this process. For tests."""

    def send(self, phone: str, body: str) -> str:
        message_id = f"locmem-{uuid.uuid4().hex}"
        outbox.append(SentSms(phone=phone, body=body, provider_id=message_id))
        return message_id


SHORT_NAMES: dict[str, type[SmsBackend]] = {
    "console": ConsoleBackend,
    "file": FileBackend,
    "null": NullBackend,
    "locmem": LocMemBackend,
}


def backend_class(name: str) -> type[SmsBackend]:
    if name in SHORT_NAMES:
        return SHORT_NAMES[name]
    try:
        cls = import_string(name)
    except ImportError as exc:
        raise ImproperlyConfigured(f"GONGZHI_SMS_BACKEND: cannot import {name!r}: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, SmsBackend)):
        raise ImproperlyConfigured(f"GONGZHI_SMS_BACKEND: {name!r} is not a subclass of {__name__}.SmsBackend")
    return cls


def get_backend() -> tuple[str, SmsBackend]:
    """(configured name, a fresh backend instance) from the settings."""
    name = settings.GONGZHI_SMS_BACKEND
    return name, backend_class(name)(**settings.GONGZHI_SMS_OPTIONS)
