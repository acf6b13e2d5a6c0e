"""``gongzhi bench faults``: PostgreSQL restarted (``pg_ctl restart -m fast``, later ``-m immediate``) while clients
file cases through every intake at once, and what that cost afterwards.

On a throwaway PostgreSQL (default durability) it builds the demo district and starts the production server
(``gongzhi run --no-worker``, as ``bench api`` does). Client processes then send, for ``--seconds``, a mix of Open311
POST ``/open311/v2/requests.json`` (with an api_key), exchange API POST ``/api/v1/cases`` with an ``Idempotency-Key``
(a key answered 503, or whose connection failed, is sent again with the same body until it is answered: it must come
back as the same case, never a second one) and the resident's report form (``/r/b/<building>/``: the form is fetched
for its CSRF token, then posted; a 503 must give back the text typed, to send again). Each request carries a marker
of its own in its text. Meanwhile PostgreSQL is restarted ``--restarts`` times, alternating fast and immediate.

Afterwards, with the server stopped, the database is read (``--verify``):

- lost: a request answered 2xx (a report form answered with its redirect to the tracking page) whose case is missing;
- half-written: a case of the run without its "submitted" event, with events missing against its counter, without
  its triage record, without the "received" text message its reporter's number asks for; an exchange case without
  its partner-id row; an Idempotency-Key row without its case;
- duplicates by key: an Idempotency-Key answered with two different cases, or with two cases in the database;
- every answer that was not 2xx: a 503 with Retry-After, a 500, anything else; connection errors are counted apart;
- a report form answered 503: with the text typed in it, or not;
- per restart: how long PostgreSQL was away, and the requests refused although sent in the two seconds after it was
  back (a connection that died with the old server, used again);
- written unanswered: a request (Open311 or report form: no key to retry with) not answered 2xx whose case was
  written all the same — the commit went through and the answer did not; said, not hidden.

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from argparse import ArgumentParser
from collections.abc import Mapping
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from typing import Any

from gongzhi.ops.benchmarks import Writer, child, child_step, register, throwaway_environment
from gongzhi.ops.benchmarks.api import collect_clients, serving

CLIENT_PROCESSES = 2
KINDS = ("open311", "api", "portal")
MARKER = re.compile(r"#F([0-9a-f]{12})")
PHONE = "13800138000"
# A client whose request was refused waits this long before the next one (it does not honour the 5 s Retry-After:
# the run is short and what it measures is the server's answers, not the client's patience).
BACKOFF_S = 0.3
# The seconds after PostgreSQL is back in which a refusal is counted as "refused after it was back".
AFTER_BACK_S = 2.0
# An exchange request answered 503 or cut off is sent again with its key at most this many times.
MAX_KEY_ATTEMPTS = 200


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=300.0, help="seconds of intake (default 300)")
    parser.add_argument("--clients", type=int, default=6, help="concurrent HTTP clients in all (default 6)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument(
        "--restarts", type=int, default=2, help="PostgreSQL restarts, alternately fast and immediate (default 2)"
    )
    parser.add_argument("--prepare", action="store_true", help="(internal) build the demo district, print keys")
    parser.add_argument("--client", default="", help="(internal) drive a server: a JSON spec")
    parser.add_argument("--verify", default="", help="(internal) check the database against a file of answers")


# ------------------------------------------------------------------------------------------------------ children


def _prepare() -> dict[str, Any]:
    """The api benchmark's district, keys and buildings (benchmarks.api), and the last case before the run."""
    from gongzhi.cases.models import Case
    from gongzhi.ops.benchmarks import api

    figures = api._prepare()
    figures["cases_before"] = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return figures


class _Portal:
    """One browser on the report form: its cookies (CSRF, session) and the form's CSRF token."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.token = ""

    def header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def keep(self, response: Any) -> None:
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]

    def read_token(self, page: bytes) -> None:
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if found:
            self.token = found.group(1).decode()


def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    """In a client process: ``threads`` keep-alive clients until ``stop_at`` (wall clock), each sending the kinds of
    request in turn. One record per HTTP request sent: [kind, marker, wall time sent, status (0: the connection
    failed), Retry-After given, id answered, form text kept]."""
    host, port = spec["host"], spec["port"]
    stop_at = spec["stop_at"]
    lock = threading.Lock()
    records: list[list[Any]] = []
    errors: dict[str, int] = {}
    crashes: list[str] = []

    def one(n: int) -> None:
        try:
            loop(n)
        except Exception as exc:  # a client bug must show, not pass as a quiet thread
            with lock:
                crashes.append(f"{type(exc).__name__}: {exc}")

    def loop(n: int) -> None:
        conn = HTTPConnection(host, port, timeout=60)
        portal = _Portal()
        local: list[list[Any]] = []
        local_errors: dict[str, int] = {}
        i, turn = n, n

        def send(method: str, path: str, body: str = "", headers: Mapping[str, str] | None = None) -> Any:
            nonlocal conn
            try:
                conn.request(method, path, body=body.encode() if body else None, headers=dict(headers or {}))
                response = conn.getresponse()
                return response, response.read()
            except (OSError, HTTPException) as exc:
                name = type(exc).__name__
                local_errors[name] = local_errors.get(name, 0) + 1
                conn.close()
                conn = HTTPConnection(host, port, timeout=60)
                return None, b""

        def record(kind: str, marker: str, began: float, response: Any, ident: str = "", kept: bool = False) -> int:
            status = response.status if response is not None else 0
            retry = bool(response is not None and response.getheader("Retry-After"))
            local.append([kind, marker, began, status, retry, ident, kept])
            return status

        while time.time() < stop_at:
            kind = KINDS[turn % len(KINDS)]
            turn += 1
            building = spec["buildings"][i % len(spec["buildings"])]
            marker = uuid.uuid4().hex[:12]
            text = f"楼道灯不亮，压测 #F{marker}"
            i += spec["threads"]
            if kind == "open311":
                body = urllib.parse.urlencode(
                    {
                        "api_key": spec["key"],
                        "service_code": spec["service_code"],
                        "address_id": building,
                        "description": text,
                        "phone": PHONE,
                    }
                )
                began = time.time()
                response, data = send(
                    "POST",
                    "/open311/v2/requests.json",
                    body,
                    {"Content-Type": "application/x-www-form-urlencoded"},
                )
                ident = ""
                if response is not None and response.status == 201:
                    ident = json.loads(data)[0]["service_request_id"]
                if record(kind, marker, began, response, ident) != 201:
                    time.sleep(BACKOFF_S)
            elif kind == "api":
                body = json.dumps(
                    {
                        "external_id": marker,
                        "title": "楼道灯不亮",
                        "description": text,
                        "reporter_phone": PHONE,
                        "address": "3号楼2单元",
                    },
                    ensure_ascii=False,
                )
                headers = {
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {spec['bearer']}",
                    "Idempotency-Key": f"faults-{marker}",
                }
                # The same key and body until it is answered: a partner's retry after a 503 or a cut connection.
                for _attempt in range(MAX_KEY_ATTEMPTS):
                    began = time.time()
                    response, data = send("POST", "/api/v1/cases", body, headers)
                    ident = ""
                    if response is not None and response.status in (200, 201):
                        ident = json.loads(data)["tracking_code"]
                    status = record(kind, marker, began, response, ident)
                    if status in (200, 201) or (status and status != 503):
                        break
                    time.sleep(BACKOFF_S)
            else:
                path = f"/r/b/{building}/"
                if not portal.token:
                    began = time.time()
                    response, data = send("GET", path, headers=portal.header())
                    if response is None or response.status != 200:
                        record("portal_form", "", began, response)
                        time.sleep(BACKOFF_S)
                        continue
                    portal.keep(response)
                    portal.read_token(data)
                fields = {"csrfmiddlewaretoken": portal.token, "description": text, "phone": PHONE}
                began = time.time()
                response, data = send(
                    "POST",
                    path,
                    urllib.parse.urlencode(fields),
                    {"Content-Type": "application/x-www-form-urlencoded", "Referer": path, **portal.header()},
                )
                ident, kept = "", False
                if response is not None:
                    portal.keep(response)
                    location = response.getheader("Location") or ""
                    found = re.search(r"/t/([^/]+)/", location)
                    if response.status == 302 and found:
                        ident = found.group(1)
                    elif response.status != 302:
                        kept = f"#F{marker}" in html.unescape(data.decode("utf-8", "replace"))
                        portal.read_token(data)
                status = record(kind, marker, began, response, ident, kept)
                if status == 302 and not ident:  # a redirect elsewhere (a lost CSRF cookie): not a report
                    portal.token = ""
                if status != 302:
                    time.sleep(BACKOFF_S)
        conn.close()
        with lock:
            records.extend(local)
            for k, v in local_errors.items():
                errors[k] = errors.get(k, 0) + v

    threads = [threading.Thread(target=one, args=(n,)) for n in range(spec["threads"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if crashes:
        raise RuntimeError(f"{len(crashes)} client thread(s) failed: {crashes[:3]}")
    return {"records": records, "errors": errors, "counts": {}, "latencies": []}


def _verify(path: str) -> dict[str, Any]:
    """In a child with the run's database: the cases answered, and the rows every intake writes with its case."""
    from django.db.models import CharField, Count, Exists, F, OuterRef, Value
    from django.db.models.functions import Cast, Concat

    from gongzhi.api.models import IdempotencyKey, InboundCase
    from gongzhi.cases.choices import EventKind
    from gongzhi.cases.models import Case, CaseEvent
    from gongzhi.notifications.models import SmsMessage
    from gongzhi.routing.models import CaseTriage

    spec = json.loads(Path(path).read_text())
    cases = Case.objects.filter(pk__gt=spec["cases_before"])
    by_marker: dict[str, list[int]] = {}
    public_ids, codes = set(), set()
    for pk, public_id, code, description in cases.values_list("pk", "public_id", "tracking_code", "description"):
        public_ids.add(public_id)
        codes.add(code)
        match = MARKER.search(description)
        if match:
            by_marker.setdefault(match.group(1), []).append(pk)
    lost = [i for i in spec["open311_ids"] if i not in public_ids]
    lost += [code for code in spec["api_codes"] + spec["portal_codes"] if code not in codes]
    subject = Concat(Value("case:"), Cast(OuterRef("pk"), CharField()), output_field=CharField())
    half = {
        "no_submitted_event": cases.exclude(
            Exists(CaseEvent.objects.filter(case_id=OuterRef("pk"), seq=1, kind=EventKind.SUBMITTED))
        ).count(),
        "events_missing": cases.annotate(n=Count("events")).exclude(n=F("event_count")).count(),
        "no_triage_record": cases.exclude(Exists(CaseTriage.objects.filter(case_id=OuterRef("pk")))).count(),
        # A case still waiting for triage, with a reporter's number: its "received" text was queued with it.
        "no_receipt_sms": cases.filter(status="submitted")
        .exclude(reporter_phone_index="")
        .exclude(Exists(SmsMessage.objects.filter(subject=subject, kind="case.received")))
        .count(),
        "exchange_case_without_partner_id": cases.filter(source=spec["partner"])
        .exclude(Exists(InboundCase.objects.filter(case_id=OuterRef("pk"))))
        .count(),
        "key_without_case": IdempotencyKey.objects.filter(partner__code=spec["partner"], case__isnull=True).count(),
    }
    # One case per key: the case a key names is the only case carrying the key's marker.
    keys = dict(IdempotencyKey.objects.filter(partner__code=spec["partner"]).values_list("key", "case_id"))
    duplicates = 0
    for marker in spec["api_markers"]:
        filed = by_marker.get(marker, [])
        if len(filed) > 1 or (filed and keys.get(f"faults-{marker}") != filed[0]):
            duplicates += 1
    return {
        "cases": len(codes),
        "lost": len(lost),
        "lost_ids": lost[:20],
        "half_written": sum(half.values()),
        "half_written_by_check": half,
        "duplicates_in_database": duplicates,
        "written_unanswered": sum(1 for marker in spec["unanswered_markers"] if by_marker.get(marker)),
    }


# ------------------------------------------------------------------------------------------------------ restarts


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def data_directory(url: str) -> str:
    """The data directory of the cluster at ``url`` (a throwaway one: pgserver made it)."""
    import psycopg

    with psycopg.connect(url, connect_timeout=10) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    return str(row[0])


def restart_postgres(data: str, mode: str) -> float:
    """``pg_ctl restart -m MODE``, waiting until the server accepts connections again; the seconds it was away."""
    from gongzhi.ops.pgserver import find_bindir

    began = time.monotonic()
    subprocess.run(
        [
            *_as_postgres(),
            str(find_bindir() / "pg_ctl"),
            "-D",
            data,
            "-m",
            mode,
            "-w",
            "-t",
            "120",
            "-l",
            str(Path(data) / "log"),
            "restart",
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return time.monotonic() - began


# ---------------------------------------------------------------------------------------------------------- run


def _ok(kind: str, status: int, ident: str) -> bool:
    return bool(ident) and (status == 302 if kind == "portal" else 200 <= status < 300)


def summarise(records: list[list[Any]], restarts: list[dict[str, Any]], stop_at: float) -> dict[str, Any]:
    """The answers the clients got, by kind of outcome; per restart, the answers after PostgreSQL was back."""
    counts = {"sent": len(records), "ok": 0, "503": 0, "503_without_retry_after": 0, "500": 0, "other": 0}
    counts["connection_errors"] = 0
    by_kind: dict[str, dict[str, int]] = {}
    answered: dict[str, set[str]] = {}
    unanswered: set[str] = set()
    ids: dict[str, list[str]] = {"open311": [], "api": [], "portal": []}
    portal_503 = portal_503_kept = 0
    for kind, marker, _began, status, retry, ident, kept in records:
        ok = _ok(kind, status, ident)
        outcome = (
            "ok"
            if ok
            else "connection_errors"
            if status == 0
            else "503"
            if status == 503
            else "500"
            if status >= 500
            else "other"
        )
        counts[outcome] += 1
        label = str(status) if status else "connection_error"
        by_kind.setdefault(kind, {}).setdefault(label, 0)
        by_kind[kind][label] += 1
        if status == 503 and not retry:
            counts["503_without_retry_after"] += 1
        if kind == "portal" and status == 503:
            portal_503 += 1
            portal_503_kept += bool(kept)
        if ok:
            ids[kind].append(ident)
            if kind == "api":
                answered.setdefault(marker, set()).add(ident)
        elif kind in ("open311", "portal"):
            unanswered.add(marker)
    api_markers = {marker for kind, marker, *_rest in records if kind == "api"}
    for index, restart in enumerate(restarts):
        until = restarts[index + 1]["began"] if index + 1 < len(restarts) else stop_at
        after = [r for r in records if restart["ended"] <= r[2] < until and _ok(r[0], r[3], r[5])]
        restart["ok_after"] = len(after)
        # Refused although sent in the seconds after PostgreSQL was back (and before the next restart could cut it
        # off): a connection that died with the old server, used once more.
        soon = min(until, restart["ended"] + AFTER_BACK_S)
        restart["refused_after_back"] = sum(
            1 for r in records if restart["ended"] <= r[2] < soon and not _ok(r[0], r[3], r[5])
        )
        restart["first_ok_after_s"] = round(min(r[2] for r in after) - restart["ended"], 2) if after else None
    return {
        **counts,
        "by_kind": by_kind,
        "ids": ids,
        "api_markers": sorted(api_markers),
        "unanswered_markers": sorted(unanswered),
        "keys_answered_twice": sum(1 for codes in answered.values() if len(codes) > 1),
        "keys_never_answered": len(api_markers - set(answered)),
        "portal_503": portal_503,
        "portal_503_text_kept": portal_503_kept,
    }


@register(
    "faults",
    help="PostgreSQL restarted (fast, immediate) under mixed intake: nothing lost, half-written or 500",
    arguments=add_arguments,
)
def run(stdout: Writer, options: Mapping[str, Any]) -> dict[str, Any]:
    done = child_step(
        stdout,
        options,
        {"prepare": lambda _v: _prepare(), "client": lambda v: _drive(json.loads(v)), "verify": _verify},
    )
    if done is not None:
        return done

    seconds, clients, workers = float(options["seconds"]), int(options["clients"]), int(options["workers"])
    count = int(options["restarts"])
    modes = [("fast", "immediate")[k % 2] for k in range(count)]
    stdout.write(
        f"gongzhi bench faults: throwaway PostgreSQL, `gongzhi run` with {workers} worker(s), {clients} HTTP clients "
        f"(Open311, exchange API with Idempotency-Key, report form), {seconds:g} s, restarts: {', '.join(modes)}"
    )
    with throwaway_environment() as throwaway:
        env = {
            **os.environ,
            **throwaway,
            "GONGZHI_SMS_BACKEND": "locmem",
            # Every client is 127.0.0.1: the per-client limit on reports would refuse the run, not the database.
            "GONGZHI_REPORT_RATE_LIMIT": "1000000/3600",
        }
        began = time.perf_counter()
        prepared = child(["bench", "faults", "--prepare"], env)  # static files collected there too (api._prepare)
        setup_s = time.perf_counter() - began
        data = data_directory(throwaway["GONGZHI_DATABASE_URL"])
        restarts: list[dict[str, Any]] = []
        with serving(env, workers) as port:
            lead = 3.0  # the client processes start Django before their first request
            start = time.time() + lead
            stop_at = start + seconds
            spec = {"host": "127.0.0.1", "port": port, "stop_at": stop_at, **prepared}
            per = max(1, clients // CLIENT_PROCESSES)
            procs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gongzhi",
                        "bench",
                        "faults",
                        "--client",
                        json.dumps({**spec, "threads": per}),
                    ],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(CLIENT_PROCESSES)
            ]
            for k, mode in enumerate(modes):
                time.sleep(max(0.0, start + seconds * (k + 1) / (count + 1) - time.time()))
                began = time.time()
                down = restart_postgres(data, mode)
                restarts.append({"mode": mode, "at_s": round(began - start, 1), "began": began, "ended": time.time()})
                restarts[-1]["postgres_down_s"] = round(down, 2)
            results, _counts, _latencies = collect_clients(procs, timeout=seconds + lead + 300)
        records = [r for result in results for r in result["records"]]
        errors: dict[str, int] = {}
        for result in results:
            for name, n in result["errors"].items():
                errors[name] = errors.get(name, 0) + n
        summary = summarise(records, restarts, stop_at)
        with tempfile.TemporaryDirectory(prefix="gongzhi-faults-") as tmp:
            answers = Path(tmp) / "answers.json"
            answers.write_text(
                json.dumps(
                    {
                        "cases_before": prepared["cases_before"],
                        "partner": prepared["partner"],
                        "open311_ids": summary["ids"]["open311"],
                        "api_codes": summary["ids"]["api"],
                        "portal_codes": summary["ids"]["portal"],
                        "api_markers": summary["api_markers"],
                        "unanswered_markers": summary["unanswered_markers"],
                    }
                )
            )
            checked = child(["bench", "faults", "--verify", str(answers)], env)
    duplicates = summary["keys_answered_twice"] + checked["duplicates_in_database"]
    stdout.write(f"  setup: demo district, catalogue and static files in {setup_s:.1f} s")
    stdout.write(f"  requests sent: {summary['sent']} in {seconds:g} s ({summary['sent'] / seconds:.1f} req/s)")
    for kind, outcomes in sorted(summary["by_kind"].items()):
        stdout.write(f"    {kind:<12} {outcomes}")
    stdout.write(
        f"  answered 2xx (report form: redirect to its tracking page): {summary['ok']}; 503: {summary['503']} "
        f"({summary['503_without_retry_after']} without Retry-After); 500 and other 5xx: {summary['500']}; "
        f"other answers: {summary['other']}; connection errors: {summary['connection_errors']} {errors or ''}"
    )
    for restart in restarts:
        stdout.write(
            f"  restart -m {restart['mode']:<9} at {restart['at_s']:>6.1f} s: PostgreSQL away "
            f"{restart['postgres_down_s']:.2f} s; first 2xx {restart['first_ok_after_s']} s after it was back; "
            f"{restart['ok_after']} answered 2xx after it, {restart['refused_after_back']} refused in the "
            f"{AFTER_BACK_S:g} s after it was back"
        )
    stdout.write(
        f"  afterwards: {checked['cases']} cases; lost (2xx, not in the database): {checked['lost']}; half-written: "
        f"{checked['half_written']} {checked['half_written_by_check']}"
    )
    stdout.write(
        f"  Idempotency-Key: {len(summary['api_markers'])} keys, duplicates by key: {duplicates}, never answered 2xx: "
        f"{summary['keys_never_answered']}"
    )
    stdout.write(
        f"  report form 503s: {summary['portal_503']}, {summary['portal_503_text_kept']} of them with the text typed, "
        "to send again"
    )
    stdout.write(
        "  requests without a key (Open311, report form) refused or cut off but written all the same (the commit "
        f"went through, its answer did not): {checked['written_unanswered']}"
    )
    passed = (
        checked["lost"] == 0
        and summary["500"] == 0
        and summary["other"] == 0
        and summary["503_without_retry_after"] == 0
        and checked["half_written"] == 0
        and duplicates == 0
        and summary["keys_never_answered"] == 0
        and summary["connection_errors"] == 0
        and summary["portal_503_text_kept"] == summary["portal_503"]
        and all(r["ok_after"] > 0 and r["refused_after_back"] == 0 for r in restarts)
    )
    figures = {
        "benchmark": "faults",
        "seconds": seconds,
        "clients": clients,
        "workers": workers,
        "sent": summary["sent"],
        "ok_2xx": summary["ok"],
        "status_503": summary["503"],
        "status_503_without_retry_after": summary["503_without_retry_after"],
        "status_500": summary["500"],
        "other": summary["other"],
        "connection_errors": summary["connection_errors"],
        "lost": checked["lost"],
        "half_written": checked["half_written"],
        "duplicates_by_key": duplicates,
        "keys_never_answered": summary["keys_never_answered"],
        "written_unanswered": checked["written_unanswered"],
        "portal_503": summary["portal_503"],
        "portal_503_text_kept": summary["portal_503_text_kept"],
        "cases": checked["cases"],
        "by_kind": summary["by_kind"],
        "restarts": [
            {k: r[k] for k in ("mode", "at_s", "postgres_down_s", "first_ok_after_s", "ok_after", "refused_after_back")}
            for r in restarts
        ],
        "pass": passed,
    }
    stdout.write(json.dumps(figures))
    return figures
