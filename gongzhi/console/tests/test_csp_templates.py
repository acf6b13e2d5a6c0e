"""CSP is default-src 'self' with no 'unsafe-inline': templates carry no inline script, style or event handler."""

from __future__ import annotations

import re

import pytest

from gongzhi.console.tests.test_no_external_urls import PACKAGE, template_files

INLINE = {
    "style attribute": re.compile(r"""(?i)<[a-z][^>]*\sstyle\s*="""),
    "<style> element": re.compile(r"(?i)<style[\s>]"),
    "inline <script>": re.compile(r"(?i)<script(?![^>]*\ssrc\s*=)[^>]*>"),
    "event handler attribute": re.compile(r"""(?i)<[a-z][^>]*\son[a-z]+\s*=\s*["']"""),
    "javascript: URL": re.compile(r"(?i)javascript:"),
}


@pytest.mark.parametrize(
    ("snippet", "kind"),
    [
        ('<div style="color:red">', "style attribute"),
        ("<style>p{}</style>", "<style> element"),
        ("<script>alert(1)</script>", "inline <script>"),
        ('<button onclick="go()">', "event handler attribute"),
        ('<a href="javascript:void(0)">', "javascript: URL"),
    ],
)
def test_the_scanner_catches(snippet, kind):
    assert INLINE[kind].search(snippet)


def test_the_scanner_lets_external_scripts_through():
    assert not any(p.search('<script src="/static/js/grid-map.js"></script>') for p in INLINE.values())


def test_no_template_needs_unsafe_inline():
    offenders = []
    for path in template_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for kind, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {kind}")
    assert not offenders, "the CSP forbids these (move them to static files):\n" + "\n".join(offenders)
