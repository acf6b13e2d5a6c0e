"""``gongzhi bench market``: market bookings per second through the real HTTP stack on PostgreSQL, beside the same
run's minimal one-insert view.

On a throwaway PostgreSQL (default durability) it builds the demo grid and one market day tomorrow with three
services, and logs in ``--residents`` residents by writing their sessions straight into the session store with the
portal's login payload (``portal.phone_login``: blind index, masked and encrypted number) — the SMS code is not what
is measured. It starts the production server command (``gongzhi run --no-worker``: granian WSGI, persistent
connections) and drives it with ``--clients`` keep-alive clients (in two client processes), each resident booking
once per phase through the resident booking page, ``POST /r/market/<event>/book/<slot>/`` (``action=confirm``, the
age, a name; the session cookie and a CSRF cookie with its header, as a browser sends them):

- **hot, big**: every client books the same slot, which has room for everyone (the contended UPDATE of one row);
- **hot, small**: every client books one slot of 5 places: 5 are confirmed, the rest go to the waiting list;
- **spread**: the clients book across 96 slots (uncontended);
- **minimal view**: ``benchmarks.ceiling``'s one-insert view on the same server, with the same clients.

Budget: spread bookings ≥ 25 % of the minimal view. After the run it checks the race: for every slot, ``taken`` equals
its confirmed bookings and never exceeds its capacity. The last line is one JSON object with the figures.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
from argparse import ArgumentParser
from collections.abc import Mapping
from datetime import time as clock
from datetime import timedelta
from http.client import HTTPConnection
from typing import Any

from gongzhi.ops.benchmarks import Writer, ceiling, child, child_step, register, throwaway_environment
from gongzhi.ops.benchmarks.api import collect_clients, serving

BUDGET_RATIO = 0.25
CLIENT_PROCESSES = 2
HOT_BIG = 30_000  # places in the big hot slot: more than any run books
HOT_SMALL = 5
SPREAD_SLOTS = 96  # five-minute slots from 9:00 to 17:00
SPREAD_PLACES = 100  # per slot
CSRF_TOKEN = "benchmarketcsrftoken0123456789ab"  # noqa: S105 - not a secret: the 32 letters a CSRF cookie holds
PHASES = ("big", "small", "spread")


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per measured phase (default 8)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients in all (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument(
        "--residents", type=int, default=8000, help="residents logged in; each books once per phase (default 8000)"
    )
    parser.add_argument("--prepare", type=int, default=0, help="(internal) build the market, log in N residents")
    parser.add_argument("--verify", default="", help="(internal) count the bookings of these slots")
    parser.add_argument("--client", default="", help="(internal) drive this spec")


def session_key(n: int) -> str:
    return f"benchmarketresident{n:013d}"


def resident_phone(n: int) -> str:
    return f"138{n:08d}"


# ------------------------------------------------------------------------------------------------------ children


def log_in_residents(residents: int) -> None:
    """Residents 0 … ``residents`` − 1 logged in by SMS code: the portal's session payload (``phone_login.log_in``),
    written straight into the session store under ``session_key(n)``."""
    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from gongzhi.core import crypto
    from gongzhi.core.privacy import mask_phone
    from gongzhi.core.sessions import SessionStore
    from gongzhi.portal.phone_login import SESSION_KEY

    # gongzhi keeps sessions in the database (core.sessions, Django's database engine): one bulk insert for thousands of
    # logins.
    assert settings.SESSION_ENGINE == "gongzhi.core.sessions", settings.SESSION_ENGINE
    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    rows = []
    for n in range(residents):
        number = resident_phone(n)
        login = {"index": crypto.blind_index(number), "masked": mask_phone(number), "number": crypto.encrypt(number)}
        rows.append(
            Session(session_key=session_key(n), session_data=store.encode({SESSION_KEY: login}), expire_date=expires)
        )
    Session.objects.bulk_create(rows, batch_size=2000)


def _prepare(residents: int) -> dict[str, Any]:
    from django.conf import settings
    from django.core.management import call_command

    from gongzhi.core import timeutil
    from gongzhi.grid import demo, roles
    from gongzhi.grid.models import GridNode, StaffPost
    from gongzhi.market import services
    from gongzhi.market.models import Slot

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", interactive=False, verbosity=0)  # `gongzhi run` would do it before serving
    jurisdiction = demo.build_demo(password=settings.GONGZHI_DEMO_PASSWORD).jurisdiction
    services.install_rules(jurisdiction)
    community = GridNode.objects.filter(jurisdiction=jurisdiction, level=roles.COMMUNITY).order_by("path").first()
    post = StaffPost.objects.filter(node=community, role=roles.COMMUNITY_STAFF, active=True).first()
    assert community is not None and post is not None, "the demo grid has community staff"
    staff = post.user
    event = services.create_event(
        actor=staff,
        node=community,
        title="压测市集",
        day=timeutil.local_today() + timedelta(days=1),
        starts=clock(9),
        ends=clock(17),
        place=services.PlaceInput(kind="point", name="社区广场", lat=30.27, lon=120.15),
        publish=True,
    )

    def offering(name: str, minutes: int, places: int) -> list[int]:
        data = services.OfferingInput(
            name=name, list_price="20.00", merchant_discount="5.00", community_subsidy="5.00", slot_minutes=minutes,
            per_slot=min(places, 500),
        )  # fmt: skip
        made = services.add_offering(actor=staff, event=event, data=data)[0]
        slots = list(made.slots.order_by("starts").values_list("pk", flat=True))
        Slot.objects.filter(pk__in=slots).update(capacity=places)  # more than a planner may give: the bench's own
        return slots

    big = offering("理发", 480, HOT_BIG)[0]
    small = offering("磨刀", 480, HOT_SMALL)[0]
    spread = offering("缝补", 5, SPREAD_PLACES)[:SPREAD_SLOTS]
    log_in_residents(residents)
    ceiling.create_table()
    return {
        "event": event.pk,
        "slots": {"big": [big], "small": [small], "spread": spread},
        "cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
    }


def _verify(slots: list[int]) -> dict[str, Any]:
    """Per slot: capacity, taken, and the bookings by status; whether taken equals the places held."""
    from django.db.models import Count

    from gongzhi.market.models import Booking, Slot

    out = {}
    for slot in Slot.objects.filter(pk__in=slots):
        by_status = dict(Booking.objects.filter(slot=slot).values_list("status").annotate(n=Count("pk")).order_by())
        held = by_status.get("confirmed", 0) + by_status.get("served", 0) + by_status.get("no_show", 0)
        out[str(slot.pk)] = {
            "capacity": slot.capacity,
            "taken": slot.taken,
            "statuses": by_status,
            "consistent": slot.taken == held and slot.taken <= slot.capacity,
        }
    return out


def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    """In a client process: ``threads`` keep-alive clients for ``seconds``, each booking as its own residents."""
    host, port, mode = spec["host"], spec["port"], spec["mode"]
    stop_at = time.perf_counter() + spec["seconds"]
    lock = threading.Lock()
    counts: dict[str, int] = {}
    latencies: list[float] = []
    stride = spec["threads"] * spec["processes"]

    def one(n: int) -> None:
        conn = HTTPConnection(host, port, timeout=30)
        resident = spec["first"] + n
        local_counts: dict[str, int] = {}
        local_lat: list[float] = []
        turn = 0
        while time.perf_counter() < stop_at and resident < spec["residents"]:
            began = time.perf_counter()
            if mode == "insert":
                conn.request(
                    "POST",
                    "/_ceiling/insert",
                    body=f"a={random.randint(1, 1_000_000)}",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            else:
                slots = spec["slots"]
                slot = slots[(resident + turn) % len(slots)]
                body = urllib.parse.urlencode(
                    {"action": "confirm", "age": 40 + resident % 40, "name": f"居民{resident}"}
                )
                conn.request(
                    "POST",
                    f"/r/market/{spec['event']}/book/{slot}/",
                    body=body,
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Cookie": f"{spec['cookie']}={session_key(resident)}; {spec['csrf_cookie']}={CSRF_TOKEN}",
                        "X-CSRFToken": CSRF_TOKEN,
                    },
                )
                resident += stride
            response = conn.getresponse()
            response.read()
            local_lat.append(time.perf_counter() - began)
            key = str(response.status)
            local_counts[key] = local_counts.get(key, 0) + 1
            turn += 1
        conn.close()
        with lock:
            for k, v in local_counts.items():
                counts[k] = counts.get(k, 0) + v
            latencies.extend(local_lat)

    threads = [threading.Thread(target=one, args=(spec["offset"] + n,)) for n in range(spec["threads"])]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"counts": counts, "elapsed": time.perf_counter() - began, "latencies": latencies}


# -------------------------------------------------------------------------------------------------------- phases


def phase(spec: dict[str, Any], env: dict[str, str], clients: int) -> dict[str, Any]:
    """Drive the server in ``spec['mode']`` with ``clients`` clients in two processes: answers per second (2xx and
    3xx), latencies, answers by status."""
    per = max(1, clients // CLIENT_PROCESSES)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gongzhi",
                "bench",
                "market",
                "--client",
                json.dumps({**spec, "threads": per, "processes": CLIENT_PROCESSES, "offset": i * per}),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(CLIENT_PROCESSES)
    ]
    results, counts, latencies = collect_clients(procs, timeout=spec["seconds"] + 120)
    ok = sum(v for k, v in counts.items() if k[0] in "23")
    elapsed = max(r["elapsed"] for r in results)
    return {
        "rps": ok / elapsed if elapsed else 0.0,
        "ok": ok,
        "counts": counts,
        "elapsed": elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else float("nan"),
        "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)] if latencies else float("nan"),
    }


@register(
    "market",
    help="market bookings per second through the production server on PostgreSQL vs the minimal one-insert view",
    arguments=add_arguments,
)
def run(stdout: Writer, options: Mapping[str, Any]) -> dict[str, Any]:
    done = child_step(
        stdout,
        options,
        {
            "prepare": lambda v: _prepare(int(v)),
            "verify": lambda v: _verify(json.loads(v)),
            "client": lambda v: _drive(json.loads(v)),
        },
    )
    if done is not None:
        return done

    seconds, clients, workers = float(options["seconds"]), int(options["clients"]), int(options["workers"])
    residents = int(options["residents"])
    stdout.write(
        f"gongzhi bench market: throwaway PostgreSQL, `gongzhi run` with {workers} worker(s), {clients} HTTP clients, "
        f"{seconds:g} s per phase, {residents:,} residents logged in"
    )
    with throwaway_environment() as throwaway:
        env = {**os.environ, **throwaway, "GONGZHI_SMS_BACKEND": "locmem"}
        began = time.perf_counter()
        prepared = child(["bench", "market", "--prepare", str(residents)], env)
        setup_s = time.perf_counter() - began
        results: dict[str, dict[str, Any]] = {}
        with serving(env, workers) as port:
            base = {
                "host": "127.0.0.1",
                "port": port,
                "seconds": seconds,
                "event": prepared["event"],
                "cookie": prepared["cookie"],
                "csrf_cookie": prepared["csrf_cookie"],
                "residents": residents,
                "first": 0,
            }
            for name in PHASES:
                results[name] = phase({**base, "mode": "book", "slots": prepared["slots"][name]}, env, clients)
            results["insert"] = phase({**base, "mode": "insert", "slots": []}, env, clients)
        every_slot = [s for name in PHASES for s in prepared["slots"][name]]
        checked = child(["bench", "market", "--verify", json.dumps(every_slot)], env)
    for name in PHASES:
        statuses: dict[str, int] = {}
        for slot in prepared["slots"][name]:
            for status, n in checked[str(slot)]["statuses"].items():
                statuses[status] = statuses.get(status, 0) + n
        # Bookings per second are the bookings the phase wrote (confirmed or wait-listed), not the answers: a page
        # that answers a refusal with 200 or a redirect must not count as a booking.
        results[name]["bookings"] = statuses
        results[name]["answered_per_s"] = results[name]["rps"]
        results[name]["rps"] = sum(statuses.values()) / results[name]["elapsed"]
        if not statuses:
            raise RuntimeError(f"no booking was written in phase {name}: answers {results[name]['counts']}")
    consistent = all(v["consistent"] for v in checked.values())
    big, small = checked[str(prepared["slots"]["big"][0])], checked[str(prepared["slots"]["small"][0])]
    small_ok = small["taken"] == small["capacity"] == small["statuses"].get("confirmed", 0)
    insert = results["insert"]
    if insert["ok"] == 0:
        raise RuntimeError(f"the minimal insert view never answered: {insert['counts']}")
    ratio = results["spread"]["rps"] / insert["rps"]
    passed = ratio >= BUDGET_RATIO and consistent and small_ok
    stdout.write(f"  setup: demo grid, a market day, {residents:,} sessions in {setup_s:.1f} s")
    labels = {
        "big": "book, one hot slot (30,000 places)",
        "small": f"book, one hot slot ({HOT_SMALL} places)",
        "spread": f"book, across {SPREAD_SLOTS} slots",
        "insert": "minimal view, one INSERT",
    }
    for name, label in labels.items():
        f = results[name]
        unit, extra = ("bookings/s", f"  written {f['bookings']}") if name in PHASES else ("inserts/s", "")
        stdout.write(
            f"  {label:<36} {f['rps']:>8.1f} {unit:<10}  p50 {f['p50_ms']:.1f} ms  p95 {f['p95_ms']:.1f} ms  "
            f"answers {f['counts']}{extra}"
        )
    stdout.write(
        f"  spread bookings / minimal insert view = {100 * ratio:.1f} % (budget ≥ {100 * BUDGET_RATIO:.0f} %): "
        f"{'PASS' if ratio >= BUDGET_RATIO else 'FAIL'}; hot slot = "
        f"{100 * results['big']['rps'] / insert['rps']:.1f} % of it"
    )
    stdout.write(
        f"  race check: big slot taken {big['taken']} = confirmed {big['statuses'].get('confirmed', 0)} "
        f"(capacity {big['capacity']}); small slot taken {small['taken']} of {small['capacity']}, "
        f"{small['statuses'].get('waiting', 0)} waiting; every slot's taken = its places held and ≤ capacity: "
        f"{'yes' if consistent else 'NO'}"
    )
    figures = {
        "benchmark": "market",
        "hot_big_bookings_per_s": round(results["big"]["rps"], 1),
        "hot_big_p95_ms": round(results["big"]["p95_ms"], 1),
        "hot_small_bookings_per_s": round(results["small"]["rps"], 1),
        "hot_small_p95_ms": round(results["small"]["p95_ms"], 1),
        "spread_bookings_per_s": round(results["spread"]["rps"], 1),
        "spread_p95_ms": round(results["spread"]["p95_ms"], 1),
        "ceiling_insert_req_per_s": round(insert["rps"], 1),
        "spread_ratio": round(ratio, 4),
        "hot_big_ratio": round(results["big"]["rps"] / insert["rps"], 4),
        "budget_ratio": BUDGET_RATIO,
        "hot_big_bookings": results["big"]["bookings"],
        "hot_small_bookings": results["small"]["bookings"],
        "spread_bookings": results["spread"]["bookings"],
        "hot_big_taken": big["taken"],
        "hot_small_taken": small["taken"],
        "hot_small_capacity": small["capacity"],
        "slots_consistent": consistent,
        "clients": clients,
        "workers": workers,
        "seconds": seconds,
        "residents": residents,
        "pass": passed,
    }
    stdout.write(json.dumps(figures, ensure_ascii=False))
    return figures
