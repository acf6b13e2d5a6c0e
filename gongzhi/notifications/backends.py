"""SMS backends: the one place that talks to a gateway.

``GONGZHI_SMS_BACKEND`` is a short name (console, file, null, locmem) or the dotted path of a ``SmsBackend``
subclass; ``GONGZHI_SMS_OPTIONS`` (a JSON object) is passed to its constructor. See README.md for writing a gateway.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
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

    Delivery is at least once: a worker killed after the gateway took a message but before the outcome was written
    sends it again after the lease. ``send_keyed`` is what the services call, with the message's delivery key
    (``sms-<id>``, the same on every attempt); a gateway that can drop repeats overrides it and passes the key on.
    """

    def __init__(self, **options: Any) -> None:
        self.options = options

    def send(self, phone: str, body: str) -> str:
        raise NotImplementedError

    def send_keyed(self, phone: str, body: str, *, key: str) -> str:
        """Send with the message's delivery key; by default the key is not passed on (``send``)."""
        return self.send(phone, body)


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
        return self.send_keyed(phone, body, key="")

    def send_keyed(self, phone: str, body: str, *, key: str) -> str:
        message_id = f"file-{uuid.uuid4().hex}"
        record = {"id": message_id, "key": key, "at": timezone.now().isoformat(), "phone": phone, "body": body}
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
    key: str = ""


# What LocMemBackend "sent", oldest first; tests clear it (like django.core.mail.outbox).
outbox: list[SentSms] = []


class LocMemBackend(SmsBackend):
    """Keeps messages in ``backends.outbox`` in this process. For tests."""

    def send(self, phone: str, body: str) -> str:
        return self.send_keyed(phone, body, key="")

    def send_keyed(self, phone: str, body: str, *, key: str) -> str:
        message_id = f"locmem-{uuid.uuid4().hex}"
        outbox.append(SentSms(phone=phone, body=body, provider_id=message_id, key=key))
        return message_id


class HttpBackend(SmsBackend):
    """POSTs each message as JSON to the ``url`` option: ``{"key", "phone", "body"}``, with the delivery key also in
    an ``Idempotency-Key`` header, so the receiver can drop a repeat (delivery is at least once).

    Options: ``url`` (http or https, required), ``timeout`` in seconds (10), ``token`` (sent as ``Authorization:
    Bearer``, optional). Any 2xx is success; the answer's ``id`` (a JSON object), if any, is the provider's id, else
    the key. For an SMS relay of one's own, or a gateway that accepts this shape.
    """

    def send(self, phone: str, body: str) -> str:
        return self.send_keyed(phone, body, key=f"adhoc-{uuid.uuid4().hex}")

    def send_keyed(self, phone: str, body: str, *, key: str) -> str:
        url = str(self.options.get("url") or "")
        if not url.startswith(("http://", "https://")):
            raise SmsError("the http backend needs a url option starting with http:// or https://")
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}
        if self.options.get("token"):
            headers["Authorization"] = f"Bearer {self.options['token']}"
        payload = json.dumps({"key": key, "phone": phone, "body": body}, ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=payload, method="POST", headers=headers)  # noqa: S310 - checked
        try:
            with urllib.request.urlopen(request, timeout=float(self.options.get("timeout", 10))) as response:  # noqa: S310
                answer = response.read()
        except urllib.error.HTTPError as exc:
            raise SmsError(f"gateway refused: HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SmsError(f"gateway unreachable: {getattr(exc, 'reason', exc)}") from exc
        try:
            provider_id = json.loads(answer).get("id") if answer else None
        except (ValueError, AttributeError):
            provider_id = None
        return str(provider_id or key)


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
