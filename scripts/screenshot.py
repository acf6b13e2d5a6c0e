"""Take the README screenshot (docs/screenshot.png) of a grid page, with the same Chromium the browser tests use.

Needs the demo district in the database of GONGZHI_DATA_DIR (``gongzhi demo``), Debian's ``chromium`` and
``fonts-noto-cjk``. Serves the app itself on a free local port (static files straight from the source tree, so
no ``collectstatic``), signs in as the demo command-centre user and photographs the page they land on::

    .venv/bin/python scripts/screenshot.py                       # district page, 1280x800, Chinese
    .venv/bin/python scripts/screenshot.py --node <code> --language en --output /tmp/en.png

Requests to any other host are blocked; the script fails if the page tried one.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "screenshot.png"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--user", default="zhihui", help="user to sign in as (default: the demo command centre)")
    parser.add_argument("--password", default=None, help="password (default: GONGZHI_DEMO_PASSWORD, gongzhi-demo)")
    parser.add_argument("--node", default="", help="code of the grid node to show (default: the user's start page)")
    parser.add_argument("--language", choices=["zh-hans", "en"], default="zh-hans", help="interface language")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--full-page", action="store_true", help="the whole page, not just the first screen")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    return parser.parse_args(argv)


def start_server() -> tuple[str, object]:
    """The app on 127.0.0.1:<free port> in a background thread; static files come from the finders."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.daemon_threads = True
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    threading.Thread(target=server.serve_forever, name="screenshot-server", daemon=True).start()
    host, port = server.server_address[:2]
    return f"http://{host}:{port}", server


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import override_settings
    from django.urls import reverse

    from gongzhi.accounts.models import User
    from gongzhi.core.testing import browser
    from gongzhi.grid import selectors

    if not browser.chromium_available():
        print(browser.MISSING_MESSAGE, file=sys.stderr)
        return 2
    password = args.password or settings.GONGZHI_DEMO_PASSWORD
    user = User.objects.filter(username=args.user).first()
    if user is None:
        print(
            f"No user {args.user!r} in {settings.DATABASES['default']['NAME']}: run `gongzhi demo` first "
            "(with the same GONGZHI_DATA_DIR).",
            file=sys.stderr,
        )
        return 2
    # Every database read happens before Playwright starts: its event loop makes Django refuse ORM calls here.
    path = reverse("console:home")
    if args.node:
        node = selectors.grid_nodes_visible_to(user).filter(code=args.node).first()
        if node is None:
            print(f"{args.user} cannot see a grid node with code {args.node!r}", file=sys.stderr)
            return 2
        path = reverse("console:grid_node", args=[node.pk])

    # The manifest storage needs `collectstatic`; a screenshot does not.
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": static}):
        base_url, server = start_server()
        try:
            return photograph(args, base_url, path, password)
        finally:
            server.shutdown()  # type: ignore[attr-defined]


def photograph(args: argparse.Namespace, base_url: str, path: str, password: str) -> int:
    from gongzhi.core.testing import browser

    session = browser.BrowserSession(base_url)
    try:
        locale = "zh-CN" if args.language == "zh-hans" else "en-US"
        page = session.new_page(viewport={"width": args.width, "height": args.height}, locale=locale)
        page.goto("/accounts/login/")
        page.fill("#id_username", args.user)
        page.fill("#id_password", password)
        page.click("form.stack button[type=submit]")
        page.wait_for_load_state("networkidle")
        if "/accounts/login/" in page.url:
            print(f"Could not sign in as {args.user}: wrong password?", file=sys.stderr)
            return 2
        if path != "/console/":
            page.goto(path)
        if page.locator("#grid-map").count():
            page.wait_for_selector("#grid-map[data-ready]")
        page.evaluate("() => document.fonts.ready")
        page.mouse.move(0, 0)  # no hover highlight in the picture
        args.output.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.output), full_page=args.full_page, animations="disabled")
        session.assert_clean()
    finally:
        session.close()
    print(f"wrote {args.output} ({args.width}x{args.height}) of {base_url}{path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
