"""Drive Debian's Chromium through Playwright in tests, with no request allowed to leave the test server.

We never run ``playwright install`` (no browser downloads on these networks): the browser is the Debian package
``chromium`` at /usr/bin/chromium, and Chinese needs ``fonts-noto-cjk`` or it renders as empty boxes.

Playwright's sync API keeps an asyncio loop running in the calling thread, and Django refuses ORM calls while one
runs (SynchronousOnlyOperation). So a test builds its data first and opens its first page afterwards:
``BrowserSession`` starts Playwright lazily, on the first ``new_page()``, and stops it in ``close()``.
"""

from __future__ import annotations

import io
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
REPO_ROOT = Path(__file__).resolve().parents[3]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"
MISSING_MESSAGE = (
    f"Chromium is not installed at {CHROMIUM}. Install the Debian packages `chromium` and `fonts-noto-cjk` "
    "(apt-get install chromium fonts-noto-cjk); do not run `playwright install`."
)
# Schemes that never touch the network.
_LOCAL_SCHEMES = {"data", "blob", "about", "chrome-error"}


def chromium_available() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


def require_chromium() -> None:
    """Skip when Chromium is missing on a developer machine; under CI=true a missing browser is a failure."""
    import pytest

    if chromium_available():
        return
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(MISSING_MESSAGE, pytrace=False)
    pytest.skip(MISSING_MESSAGE)


def launch(playwright: Any, *, camera: Path | None = None, **options: Any) -> Any:
    """The Debian Chromium with the flags that keep it quiet and off the network; with ``camera`` (a Y4M video, see
    ``write_camera_video``) its fake camera plays that video to any page that asks for the camera, without asking."""
    args = list(CHROMIUM_ARGS)
    if camera is not None:
        args += [
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}",
        ]
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=args, **options)


def write_camera_video(path: Path, png: bytes, *, width: int = 640, height: int = 480, frames: int = 10) -> Path:
    """A Y4M video (what Chromium's fake camera plays) of a picture centred on white, grey 4:2:0 chroma: a QR code, or
    a screenshot of a phone's screen held up to a tablet's camera."""
    from PIL import Image

    picture = Image.open(io.BytesIO(png)).convert("L")
    picture.thumbnail((width - 40, height - 40))
    frame = Image.new("L", (width, height), 255)
    frame.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F25:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)
    return path


def screenshot_path(name: str) -> Path:
    """test-artifacts/screenshots/<name>.png under the repository root (created), for a person to look at."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "screenshot"
    return SCREENSHOT_DIR / f"{safe}.png"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass
class OffsiteGuard:
    """Lets requests to ``allowed_origin`` through; aborts and records every other one (DESIGN.md §3: no CDN)."""

    allowed_origin: str
    blocked: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.allowed_origin = _origin(self.allowed_origin)

    def allows(self, url: str) -> bool:
        scheme = urlsplit(url).scheme.lower()
        return scheme in _LOCAL_SCHEMES or _origin(url) == self.allowed_origin

    def attach(self, context: Any) -> None:
        context.route("**/*", self._route)
        context.on("page", self._watch_page)

    def _watch_page(self, page: Any) -> None:
        page.on("websocket", lambda ws: None if self.allows(ws.url) else self.blocked.append(ws.url))

    def _route(self, route: Any) -> None:
        url = route.request.url
        if self.allows(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def assert_clean(self) -> None:
        if self.blocked:
            listing = "\n  ".join(sorted(set(self.blocked)))
            raise AssertionError(f"the page tried to reach other hosts than {self.allowed_origin}:\n  {listing}")


@dataclass
class ConsoleWatch:
    """Collects console errors and uncaught exceptions; CSP violations show up here too."""

    errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", lambda msg: self.errors.append(f"{msg.type}: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def assert_clean(self) -> None:
        if self.errors:
            raise AssertionError("the browser reported errors:\n  " + "\n  ".join(self.errors))


class BrowserSession:
    """One Chromium for one test: pages whose requests may reach only ``base_url``.

    Start it after the test's database work (see the module docstring); call ``close()`` at the end.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.guard = OffsiteGuard(self.base_url)
        self.console = ConsoleWatch()
        self._playwright: Any = None
        self._browser: Any = None
        self._contexts: list[Any] = []
        self._camera: Path | None = None

    def url(self, path: str) -> str:
        return self.base_url + path

    def new_page(self, *, viewport: dict[str, int] | None = None, locale: str = "zh-CN", **context_options: Any) -> Any:
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            if self._playwright is None:
                self._playwright = sync_playwright().start()
            self._browser = launch(self._playwright, camera=self._camera)
        context = self._browser.new_context(
            viewport=viewport or DESKTOP,
            locale=locale,
            timezone_id="Asia/Shanghai",
            base_url=self.base_url,
            service_workers="block",
            **context_options,
        )
        context.set_default_timeout(10_000)
        self.guard.attach(context)
        self._contexts.append(context)
        page = context.new_page()
        self.console.attach(page)
        return page

    def use_camera(self, video: Path) -> None:
        """Pages opened from now on run in a Chromium whose fake camera plays ``video``; those open so far close."""
        self._close_browser()
        self._camera = video

    def assert_clean(self) -> None:
        """No request left the test server and the browser logged no error."""
        self.guard.assert_clean()
        self.console.assert_clean()

    def _close_browser(self) -> None:
        for context in self._contexts:
            context.close()
        self._contexts.clear()
        if self._browser is not None:
            self._browser.close()
            self._browser = None

    def close(self) -> None:
        self._close_browser()
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None


def page_width(page: Any) -> int:
    """How wide the page lays out, in CSS pixels, once its stylesheets have loaded.

    A page's text can be on screen (what ``expect`` waits for) while a stylesheet linked in its head is still loading;
    measuring then forces a layout without it, and a long word that the sheet would wrap reads as a page too wide."""
    page.wait_for_load_state("load")
    return int(page.evaluate("() => document.documentElement.scrollWidth"))


def save_screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    path = screenshot_path(name)
    page.screenshot(path=str(path), full_page=full_page)
    return path


def _ink(png_a: bytes, png_b: bytes) -> int:
    """How many pixels differ between two screenshots of the same box."""
    from PIL import Image, ImageChops

    a = Image.open(io.BytesIO(png_a)).convert("RGB")
    b = Image.open(io.BytesIO(png_b)).convert("RGB")
    if a.size != b.size:
        return a.size[0] * a.size[1]
    diff = ImageChops.difference(a, b).convert("L")
    return sum(diff.histogram()[41:])  # ignore faint anti-aliasing noise


_PROBE_JS = """
([id, text]) => {
  let el = document.getElementById(id);
  if (!el) {
    el = document.createElement("span");
    el.id = id;
    // CSSOM styles are allowed under CSP style-src 'self'; only style attributes in markup are not.
    Object.assign(el.style, {position: "fixed", left: "0", top: "0", zIndex: "99999", background: "#fff",
      color: "#000", fontSize: "48px", lineHeight: "1.2", padding: "4px", fontFamily: "inherit"});
    document.body.appendChild(el);
  }
  el.style.color = "#000";
  el.textContent = text;
  return el.getBoundingClientRect().width;
}
"""


def assert_cjk_renders(page: Any, selector: str, *, min_ink: int = 40) -> dict[str, Any]:
    """Chinese text on the page is drawn with real glyphs, not empty boxes (fonts-noto-cjk missing).

    Three checks: the element at ``selector`` (which must hold Chinese) has ink that disappears when its text is
    made transparent; two different characters draw differently (missing-glyph boxes all look the same); and
    '网格' at 16 px is about two full-width characters wide. ``document.fonts.check`` is reported too, but it
    answers true for fonts it cannot find, so it proves little on its own.
    """
    target = page.locator(selector).first
    text = target.inner_text()
    assert re.search(r"[\u4e00-\u9fff]", text), f"{selector} holds no Chinese text: {text!r}"
    with_text = target.screenshot(animations="disabled")
    target.evaluate("el => { el.dataset.probeColor = el.style.color; el.style.color = 'transparent'; }")
    without_text = target.screenshot(animations="disabled")
    target.evaluate("el => { el.style.color = el.dataset.probeColor; delete el.dataset.probeColor; }")
    ink = _ink(with_text, without_text)
    assert ink >= min_ink, f"{selector} ({text!r}) draws almost nothing: {ink} pixels of ink"

    probe = page.locator("#cjk-glyph-probe")
    page.evaluate(_PROBE_JS, ["cjk-glyph-probe", "网"])
    first = probe.screenshot(animations="disabled")
    page.evaluate(_PROBE_JS, ["cjk-glyph-probe", "格"])
    second = probe.screenshot(animations="disabled")
    distinct = _ink(first, second)
    assert distinct >= min_ink, "'网' and '格' render alike: the glyphs are missing (install fonts-noto-cjk)"
    width = page.evaluate(
        """() => { const s = document.createElement("span"); s.textContent = "网格";
                   Object.assign(s.style, {fontSize: "16px", position: "absolute", whiteSpace: "nowrap"});
                   document.body.appendChild(s); const w = s.getBoundingClientRect().width; s.remove(); return w; }"""
    )
    page.evaluate("() => document.getElementById('cjk-glyph-probe').remove()")
    assert width >= 24, f"'网格' at 16px is only {width:.1f}px wide"
    font_check = page.evaluate("() => document.fonts.check('16px \"Noto Sans CJK SC\"', '网格')")
    return {"ink": ink, "distinct": distinct, "width": width, "fonts_check": font_check}


# The live server's turn on SQLite (``one_request_at_a_time_on_sqlite``): a test's own database work in the middle of
# a journey (in a thread of its own: Playwright's loop forbids it in the test's) takes it too, so it never runs beside
# a request the browser sent in the background.
SERVER_TURN = threading.Lock()


@contextmanager
def one_request_at_a_time_on_sqlite(live_server: Any) -> Iterator[None]:
    """On SQLite the live server's threads share the test's one in-memory connection, which is not safe when a page
    fetches several things at once (the dashboard's panels, map layers, photos): 'bad parameter or other API misuse',
    and now and then a crashed test process (a segmentation fault in the sqlite3 module). Run the Django app under a
    lock there — the whole of each request: the view, the body (a streamed export reads the database as it goes) and
    the response's close (Django's request_finished work on the connection). Threads and keep-alive stay as they
    are. On leaving, wait for the request in flight, if any, so that the test's teardown (which empties the tables
    on the same connection) never runs beside one. PostgreSQL has a connection per thread and is left alone."""
    from django.db import connection

    httpd = live_server.thread.httpd
    app = httpd.get_app()
    if connection.vendor != "sqlite":
        yield
        return
    lock = SERVER_TURN

    def locked(environ: Any, start_response: Any) -> Any:
        with lock:
            result = app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return [body]

    httpd.set_app(locked)
    try:
        yield
    finally:
        with lock:  # the request in flight, if any, ends first
            httpd.set_app(app)


def browser_session_on(live_server: Any) -> Iterator[BrowserSession]:
    """The body of every ``browser_session`` fixture: Chromium against the live server, one request at a time on
    SQLite; build test data before opening the first page, and touch the database again only once a page is idle.
    The browser closes before the lock is given up, so no page is still fetching when the test's teardown runs."""
    require_chromium()
    session = BrowserSession(live_server.url)
    with one_request_at_a_time_on_sqlite(live_server):
        try:
            yield session
        finally:
            session.close()


def log_in(page: Any, username: str, next_path: str, *, password: str) -> None:
    """Sign a member of staff in through the login page and wait for ``next_path`` (any interface's browser tests)."""
    from django.urls import reverse

    page.goto(reverse("accounts:login") + f"?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))
