"""System checks (``gongzhi check``): every template formats in every language, and the SMS backend loads.

A translation that uses a placeholder its English source does not provide would fail only when that message is
sent; this finds it at deployment instead.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from gongzhi.notifications import backends, messages


@checks.register()
def check_templates(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for template in messages.registered():
        for part, names in template.fields.items():
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    text = str(getattr(template, part))
                try:
                    used = messages.placeholders(text)
                except messages.TemplateError as exc:
                    problem = str(exc)
                else:
                    extra = sorted(used - names)
                    if not extra:
                        continue
                    problem = f"uses {', '.join(extra)}, which the English source does not provide"
                errors.append(
                    checks.Error(
                        f"notification {template.kind!r} {part} in {language!r}: {problem}",
                        hint="Fix the translation in the .po file and compile it.",
                        obj=text,
                        id="notifications.E001",
                    )
                )
    return errors


@checks.register()
def check_sms_backend(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        backends.backend_class(settings.GONGZHI_SMS_BACKEND)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="notifications.E002")]
    return []
