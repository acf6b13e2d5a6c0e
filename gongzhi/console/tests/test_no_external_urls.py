"""Design rule (DESIGN.md §3): no CDN and no call to another host at run time — deployments are often air-gapped.

Scans every template and every static JS/CSS file of the project (not static/vendor, which holds the npm builds
copied at build time) for absolute http(s) URLs and protocol-relative //host references.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]  # .../gongzhi
VENDOR = PACKAGE / "static" / "vendor"
STATIC_SUFFIXES = {".js", ".mjs", ".css"}

# XML namespace names look like URLs but are identifiers that nothing ever fetches.
NAMESPACES = re.compile(r"https?://www\.w3\.org/(?:2000/svg|1999/xhtml|1999/xlink|XML/1998/namespace)")
ABSOLUTE = re.compile(r"(?i)\b(?:https?|wss?|ftp)://[^\s\"'<>)]*")
# //host where a browser would load it: an attribute, a CSS url() or @import, or a fetch/XHR/import/Worker call.
PROTOCOL_RELATIVE = re.compile(
    r"""(?ix)
    (?: \b(?:src|href|action|poster|srcset|data|formaction|xlink:href)\s*=\s*["']?
      | \burl\(\s*["']?
      | @import\s+["']
      | \b(?:fetch|open|import|Worker|EventSource|WebSocket|sendBeacon)\s*\(\s*(?:["'`]|[^,)]*,\s*["'`])
    )
    \s*//[a-z0-9{]
    """
)


def template_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "templates" in p.relative_to(PACKAGE).parts)


def static_files() -> list[Path]:
    files = []
    for static_dir in PACKAGE.rglob("static"):
        if not static_dir.is_dir():
            continue
        for p in static_dir.rglob("*"):
            if p.is_file() and p.suffix in STATIC_SUFFIXES and VENDOR not in p.parents:
                files.append(p)
    return sorted(files)


def external_urls(text: str) -> list[str]:
    found = [m.group(0) for m in ABSOLUTE.finditer(NAMESPACES.sub("", text))]
    found += [m.group(0).strip() for m in PROTOCOL_RELATIVE.finditer(text)]
    return found


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://cdn.example.com/x.js"></script>',
        "<link href='http://fonts.example.com/css'>",
        '<img src="//cdn.example.com/a.png">',
        "background: url(//cdn.example.com/bg.png)",
        'background: url("//cdn.example.com/bg.png")',
        '@import "//fonts.example.com/x.css";',
        'fetch("//api.example.com/v1")',
        "fetch(`https://api.example.com/v1`)",
        'xhr.open("GET", "//api.example.com/v1")',
        "new WebSocket('wss://push.example.com/')",
        '<a href="HTTPS://EXAMPLE.COM">x</a>',
    ],
)
def test_the_scanner_catches(snippet):
    assert external_urls(snippet), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        "// a JavaScript comment, not a URL",
        "const a = 1; // trailing comment",
        '<a href="/console/">home</a>',
        '<a href="tel:028-8888-0001">call</a>',
        "background: url(images/layers.png)",
        'document.createElementNS("http://www.w3.org/2000/svg", "svg")',
        "/* a CSS comment */",
        '<img src="{{ card.photo_url }}">',
    ],
)
def test_the_scanner_lets_through(snippet):
    assert external_urls(snippet) == []


def test_the_scan_covers_the_project():
    templates = template_files()
    statics = static_files()
    assert any(p.name == "base.html" for p in templates)
    assert any(p.name == "grid-map.js" for p in statics)
    assert any(p.name == "gongzhi.css" for p in statics)
    assert not any(VENDOR in p.parents for p in statics)


def test_no_template_or_static_file_points_at_another_host():
    offenders = []
    for path in template_files() + static_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            for url in external_urls(line):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {url}")
    assert not offenders, "external URLs are not allowed (DESIGN.md §3: no CDN, no external call):\n" + "\n".join(
        offenders
    )
