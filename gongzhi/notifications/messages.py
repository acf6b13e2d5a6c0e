"""The registry of notification templates: one ``kind`` → a label, a title, a body and optionally an SMS text.

Templates are lazily translated strings with named ``%(name)s`` placeholders. Apps register their kinds once at
import time (the case engine from its ``AppConfig.ready``). ``register`` refuses a malformed template at start-up;
``render`` fills a template in the site language and, outside ``DEBUG``, never raises: a context that misses a
placeholder (or a broken translation) is logged and the template is shown unfilled, so a wording bug cannot undo or
break the caller's flow. ``checks.py`` tests every translation of every template on ``gongzhi check``.

A kind's SMS text may come in two wordings: ``sms`` names the tracking code, ``sms_link`` carries the tracking page's
address (``%(link)s``, absolute, from GONGZHI_PUBLIC_URL) and is used when the context has one. A link is shorter to
act on than a code to type, but a text message is short (70 Chinese characters a part), so the link wording says less.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

log = logging.getLogger("gongzhi.notifications")

PARTS = ("title", "body", "sms", "sms_link")

# One printf-style conversion: %(name)s, %%, %5.2f … (flags, width, precision, length modifier, type).
_SPEC = re.compile(r"%(?:\((?P<key>[^)]*)\))?[#0 +\-]*(?:\d+)?(?:\.\d+)?[hlL]?(?P<type>.?)", re.DOTALL)
_TYPES = set("diouxXeEfFgGcrsa")


class TemplateError(ValueError):
    """A template is malformed, unknown, or cannot be filled from the given context."""


def placeholders(template: str) -> frozenset[str]:
    """The ``%(name)s`` names a template uses; raises TemplateError for positional or malformed conversions."""
    names: set[str] = set()
    for match in _SPEC.finditer(template):
        key, kind = match["key"], match["type"]
        if key is None and kind == "%":
            continue  # a literal percent sign
        if kind not in _TYPES:
            raise TemplateError(f"incomplete or unknown conversion {match[0]!r} (write %% for a literal percent sign)")
        if key is None:
            raise TemplateError(f"positional conversion {match[0]!r}: use named placeholders like %(name)s")
        names.add(key)
    return frozenset(names)


@dataclass(frozen=True)
class Template:
    kind: str
    title: Any  # lazy translated strings (or plain str)
    body: Any
    sms: Any | None
    sms_link: Any | None
    label: Any  # what the kind is called in lists (the admin), translated; the kind itself when not given
    # Placeholders of the English source strings, per part.
    fields: Mapping[str, frozenset[str]]

    def source(self, part: str) -> str | None:
        template = getattr(self, part)
        if template is None:
            return None
        with translation.override(None):
            return str(template)


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


_registry: dict[str, Template] = {}


def _formats(template: str, names: frozenset[str]) -> str:
    """Fill every placeholder with 0 (valid for every conversion type) to prove the template formats at all."""
    return template % dict.fromkeys(names, 0)


def register(
    kind: str,
    *,
    title: Any,
    body: Any,
    sms: Any | None = None,
    sms_link: Any | None = None,
    label: Any | None = None,
) -> Template:
    """Declare the templates of ``kind``. Registering the same kind again with the same strings is a no-op.

    ``sms_link`` (optional) is the SMS wording with the tracking page's address, ``%(link)s``; it needs ``sms``.
    ``label`` names the kind in lists (default: the kind itself).
    """
    if not kind or len(kind) > 64 or kind.strip() != kind:
        raise TemplateError(f"notification kind {kind!r}: expected a short name such as 'case.accepted'")
    if sms_link is not None and sms is None:
        raise TemplateError(f"notification kind {kind!r}: sms_link needs an sms wording without the link")
    fields: dict[str, frozenset[str]] = {}
    for part, template in (("title", title), ("body", body), ("sms", sms), ("sms_link", sms_link)):
        if template is None:
            if part in ("title", "body"):
                raise TemplateError(f"notification kind {kind!r}: the {part} is required")
            continue
        with translation.override(None):
            source = str(template)
        try:
            fields[part] = placeholders(source)
            _formats(source, fields[part])
        except (TemplateError, ValueError, TypeError) as exc:
            raise TemplateError(f"notification kind {kind!r}, {part} {source!r}: {exc}") from exc
    if "sms_link" in fields and "link" not in fields["sms_link"]:
        raise TemplateError(f"notification kind {kind!r}: sms_link must contain %(link)s")
    new = Template(kind=kind, title=title, body=body, sms=sms, sms_link=sms_link, label=label or kind, fields=fields)
    old = _registry.get(kind)
    if old is not None:
        if all(old.source(part) == new.source(part) for part in (*PARTS, "label")):
            return old
        raise TemplateError(f"notification kind {kind!r} is already registered with other templates")
    _registry[kind] = new
    return new


def get(kind: str) -> Template:
    try:
        return _registry[kind]
    except KeyError:
        raise TemplateError(f"unknown notification kind {kind!r}: register it first") from None


def registered() -> list[Template]:
    return sorted(_registry.values(), key=lambda template: template.kind)


def label(kind: str) -> str:
    """What ``kind`` is called, in the active language (the kind itself when it is unknown or has no label)."""
    template = _registry.get(kind)
    return kind if template is None else str(template.label)


def _strict(strict: bool | None) -> bool:
    return settings.DEBUG if strict is None else strict


def _fill(template: Template, part: str, context: Mapping[str, Any], *, strict: bool) -> str:
    text = str(getattr(template, part))  # in the active language
    try:
        missing = sorted(placeholders(text) - set(context))
        if missing:
            raise TemplateError(f"the context misses {', '.join(missing)}")
        return text % dict(context)
    except (TemplateError, ValueError, TypeError, KeyError) as exc:
        message = (
            f"notification {template.kind!r} {part} cannot be filled in {translation.get_language()!r}: {exc} "
            f"(context keys: {', '.join(sorted(context)) or 'none'})"
        )
        if strict:
            raise TemplateError(message) from exc
        log.error("%s; showing the template unfilled", message)
        return text


def render(
    kind: str, context: Mapping[str, Any], *, language: str | None = None, strict: bool | None = None
) -> Rendered:
    """Title and body of ``kind`` in ``language`` (default: the site language, not the caller's request language).

    ``strict`` (default: ``settings.DEBUG``) raises TemplateError instead of logging and falling back.
    """
    strict = _strict(strict)
    try:
        template = get(kind)
    except TemplateError:
        if strict:
            raise
        log.error("unknown notification kind %r; sending its name as the title", kind)
        return Rendered(title=kind, body="")
    with translation.override(language or settings.LANGUAGE_CODE):
        return Rendered(
            title=_fill(template, "title", context, strict=strict),
            body=_fill(template, "body", context, strict=strict),
        )


def render_sms(
    kind: str, context: Mapping[str, Any], *, language: str | None = None, strict: bool | None = None
) -> str | None:
    """The SMS text of ``kind`` (without the signature), or None when the kind has no SMS template. The wording with
    the link (``sms_link``) when the kind has one and the context carries a ``link``."""
    strict = _strict(strict)
    try:
        template = get(kind)
    except TemplateError:
        if strict:
            raise
        log.error("unknown notification kind %r; no SMS sent", kind)
        return None
    if template.sms is None:
        if strict:
            raise TemplateError(f"notification kind {kind!r} has no SMS template")
        log.error("notification kind %r has no SMS template; no SMS sent", kind)
        return None
    part = "sms_link" if template.sms_link is not None and context.get("link") else "sms"
    with translation.override(language or settings.LANGUAGE_CODE):
        return _fill(template, part, context, strict=strict)


# Generic kinds; domain apps register their own (cases/messages.py).
# A free-form notice whose words the sender writes (nothing to translate).
register("system.notice", title="%(title)s", body="%(body)s", sms="%(body)s", label=_("Notice"))
register(
    "account.verification_code",
    label=_("Verification code"),
    title=_("Your verification code"),
    body=_("Your verification code is %(code)s. It is valid for %(minutes)s minutes."),
    sms=_("Your verification code is %(code)s, valid for %(minutes)s minutes. Do not tell it to anyone."),
)
