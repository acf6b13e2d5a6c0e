"""The template registry: malformed templates fail at registration, missing context fails loudly only when asked."""

from __future__ import annotations

import logging

import pytest
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from gongzhi.notifications import checks
from gongzhi.notifications.messages import TemplateError, placeholders


def test_placeholders_are_the_named_conversions():
    assert placeholders("Case %(code)s is due %(due)s; 100%% done") == {"code", "due"}
    assert placeholders("no placeholders") == frozenset()
    assert placeholders("%(n)d items, %(ratio).1f") == {"n", "ratio"}


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("Case %s was resolved", "positional conversion '%s'"),
        ("Case %(code) was resolved", "incomplete or unknown conversion"),
        ("Solved 100%", "incomplete or unknown conversion"),
    ],
)
def test_a_malformed_template_is_refused_when_registered(registry, template, message):
    with pytest.raises(TemplateError, match=message) as caught:
        registry.register("test.bad", title="Title", body=template)
    assert "'test.bad'" in str(caught.value) and "body" in str(caught.value)
    with pytest.raises(TemplateError, match="unknown notification kind"):
        registry.get("test.bad")


def test_a_kind_needs_a_title_and_body_and_cannot_be_redefined(registry):
    with pytest.raises(TemplateError, match="title is required"):
        registry.register("test.untitled", title=None, body="x")
    with pytest.raises(TemplateError, match="expected a short name"):
        registry.register(" test.spaced", title="x", body="x")
    first = registry.register("test.once", title=_("Title %(a)s"), body="Body")
    # Importing the registering module again is harmless …
    assert registry.register("test.once", title=_("Title %(a)s"), body="Body") is first
    # … but two apps choosing the same kind for different messages is a bug to hear about at start-up.
    with pytest.raises(TemplateError, match="already registered with other templates"):
        registry.register("test.once", title="Another %(a)s", body="Body")


def test_render_fills_the_templates_and_ignores_extra_context(registry):
    registry.register("test.hello", title="Hello %(name)s", body="Case %(code)s, due %(due)s", sms="SMS %(code)s")
    text = registry.render("test.hello", {"name": "张三", "code": "A1", "due": "2025-01-02", "unused": 1})
    assert (text.title, text.body) == ("Hello 张三", "Case A1, due 2025-01-02")
    assert registry.render_sms("test.hello", {"code": "A1"}) == "SMS A1"


def test_a_missing_placeholder_is_a_clear_error_in_strict_mode(registry):
    registry.register("test.due", title="Due: %(title)s", body="Case %(code)s must be resolved by %(due)s.")
    with pytest.raises(TemplateError) as caught:
        registry.render("test.due", {"title": "路灯不亮", "code": "A1"}, strict=True)
    message = str(caught.value)
    assert "'test.due' body" in message and "misses due" in message and "context keys: code, title" in message


def test_a_missing_placeholder_never_raises_in_production(registry, caplog, settings):
    settings.DEBUG = False
    registry.register("test.due", title="Due: %(title)s", body="Case %(code)s must be resolved by %(due)s.")
    with caplog.at_level(logging.ERROR, logger="gongzhi.notifications"):
        text = registry.render("test.due", {"title": "路灯不亮", "code": "A1"})
    # The title is fine; the body falls back to the raw template and the problem is logged.
    assert text.title == "Due: 路灯不亮"
    assert text.body == "Case %(code)s must be resolved by %(due)s."
    assert "'test.due' body" in caplog.text and "misses due" in caplog.text


def test_debug_makes_render_strict_by_default(registry, settings):
    registry.register("test.due", title="Due %(due)s", body="x")
    settings.DEBUG = True
    with pytest.raises(TemplateError, match="misses due"):
        registry.render("test.due", {})


def test_unknown_kinds_and_kinds_without_sms(registry, caplog, settings):
    settings.DEBUG = False
    with caplog.at_level(logging.ERROR, logger="gongzhi.notifications"):
        text = registry.render("test.nobody", {})
        assert registry.render_sms("test.nobody", {}) is None
    assert (text.title, text.body) == ("test.nobody", "")
    assert "unknown notification kind 'test.nobody'" in caplog.text
    with pytest.raises(TemplateError, match="unknown notification kind"):
        registry.render("test.nobody", {}, strict=True)
    registry.register("test.inbox_only", title="t", body="b")
    assert registry.render_sms("test.inbox_only", {}) is None
    with pytest.raises(TemplateError, match="has no SMS template"):
        registry.render_sms("test.inbox_only", {}, strict=True)


def test_templates_render_in_the_site_language_not_the_callers(registry):
    # "mobile phone" and "user" are in the zh_Hans catalogue already.
    registry.register("test.lang", title=_("mobile phone"), body="%(who)s")
    with translation.override("en"):
        text = registry.render("test.lang", {"who": _("user")})
    assert (text.title, text.body) == ("手机号码", "用户")
    assert registry.render("test.lang", {"who": _("user")}, language="en").title == "mobile phone"


def _broken_translation() -> str:
    if translation.get_language() == "zh-hans":
        return "案件 %(code)s 由 %(handler)s 处理"  # a translator invented a placeholder
    return "Case %(code)s is being handled"


def test_a_translation_with_a_placeholder_the_source_lacks_is_caught_by_the_system_check(registry, settings):
    settings.DEBUG = False
    registry.register("test.translated", title=lazy(_broken_translation, str)(), body="x")
    errors = checks.check_templates()
    assert [(e.id, e.msg) for e in errors] == [
        (
            "notifications.E001",
            "notification 'test.translated' title in 'zh-hans': uses handler, which the English source does not "
            "provide",
        )
    ]
    # Had it shipped anyway, sending it would not crash.
    assert registry.render("test.translated", {"code": "A1"}).title == "案件 %(code)s 由 %(handler)s 处理"


def test_every_registered_template_passes_the_check():
    # Covers the generic kinds and every kind other apps (cases) registered at start-up, in every language.
    assert checks.check_templates() == []


def test_the_link_wording_is_used_when_the_context_has_a_link(registry):
    registry.register(
        "test.tracked",
        title="t",
        body="b",
        sms="Request %(code)s received",
        sms_link="Received: %(link)s",
        label=_("mobile phone"),
    )
    assert registry.render_sms("test.tracked", {"code": "A1", "link": ""}) == "Request A1 received"
    assert registry.render_sms("test.tracked", {"code": "A1"}) == "Request A1 received"
    link = "https://gz.example.gov.cn/r/t/A1/"
    assert registry.render_sms("test.tracked", {"code": "A1", "link": link}) == f"Received: {link}"
    with translation.override("zh-hans"):
        assert registry.label("test.tracked") == "手机号码"  # the label, in the active language
    assert registry.label("test.nobody") == "test.nobody"
    with pytest.raises(TemplateError, match="sms_link needs an sms wording"):
        registry.register("test.link_only", title="t", body="b", sms_link="%(link)s")
    with pytest.raises(TemplateError, match=r"sms_link must contain %\(link\)s"):
        registry.register("test.no_link", title="t", body="b", sms="x", sms_link="Received %(code)s")


def test_every_kind_has_a_label_in_the_site_language():
    from gongzhi.notifications import messages

    for template in messages.registered():
        assert template.label != template.kind, f"{template.kind} has no label"
        with translation.override("zh-hans"):
            assert messages.label(template.kind) != template.source("label"), f"{template.kind}: not translated"
