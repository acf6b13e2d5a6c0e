"""Environment-first configuration.

Every setting is a ``GONGZHI_*`` environment variable, optionally read from an env file; nothing is required.
This module is pure (no Django import) so it can be typed strictly and tested without a database.
Every setting is documented in ``docs/configuration.md`` — a test keeps the two in step.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

PREFIX = "GONGZHI_"

# name -> (default, one-line description). The single list of settings; docs/configuration.md mirrors it.
SETTINGS: dict[str, tuple[str, str]] = {
    "GONGZHI_ENV_FILE": (
        "",
        "Path of an env file (KEY=value lines) read before the environment; the environment wins.",
    ),
    "GONGZHI_DATA_DIR": ("./var", "Directory for the SQLite database, media, generated keys and exports."),
    "GONGZHI_DATABASE_URL": (
        "",
        "postgres://user:pass@host:port/name for PostgreSQL; empty means SQLite in the data dir.",
    ),
    "GONGZHI_DATABASE_REPLICA_URL": (
        "",
        "postgres:// URL of a streaming replica of that database (hot standby). Dashboards, case lists, exports and "
        "the public board read from it; every write, and every read of a write or of a user who wrote in the last "
        "few seconds, goes to the primary. Empty: everything reads from the primary. Needs GONGZHI_DATABASE_URL.",
    ),
    "GONGZHI_DB_CONN_MAX_AGE": ("600", "Seconds a database connection is kept (persistent connections; 0 costs ~7x)."),
    "GONGZHI_DB_HEALTH_CHECKS": (
        "true",
        "Check a kept database connection (SELECT 1) before its first use in each request; false saves that round "
        "trip, and after a database restart each worker's first request fails once instead.",
    ),
    "GONGZHI_DB_PREPARE": (
        "true",
        "PostgreSQL: run the hot-path statements as server-side prepared statements (planned once per connection; "
        "the case and Open311 reads join six tables and cost more to plan than to run). Set false behind a pooler "
        "in transaction mode without prepared-statement support (PgBouncer before 1.21).",
    ),
    "GONGZHI_SECRET_KEY": ("", "Django secret key; empty means one generated once into DATA_DIR/secret_key."),
    "GONGZHI_FIELD_KEYS": (
        "",
        "Comma-separated Fernet keys for personal data at rest, newest first (rotation); "
        "empty means one generated once into DATA_DIR/field_keys.",
    ),
    "GONGZHI_BLIND_INDEX_KEY": (
        "",
        "Key for the blind indexes that let us find encrypted phone numbers; empty means one generated once into "
        "DATA_DIR/blind_index_key. Changing it needs a reindex (`gongzhi rotate_field_keys --reindex`).",
    ),
    "GONGZHI_DEBUG": ("false", "Django debug mode. Never in production."),
    "GONGZHI_ALLOWED_HOSTS": ("127.0.0.1,localhost", "Comma-separated host names the server answers to."),
    "GONGZHI_CSRF_TRUSTED_ORIGINS": (
        "",
        "Comma-separated origins (https://example.org) trusted for CSRF behind a proxy.",
    ),
    "GONGZHI_SECURE_COOKIES": ("false", "Send session and CSRF cookies only over HTTPS (set true behind TLS)."),
    "GONGZHI_PROXY_SSL_HEADER": (
        "",
        "Header a TLS-terminating reverse proxy sets on requests that came in over HTTPS, as NAME (value https) or "
        "NAME:value, e.g. X-Forwarded-Proto. Empty: only a direct TLS connection counts as HTTPS. Set it only when "
        "the proxy always sets or strips that header, or a client could claim HTTPS.",
    ),
    "GONGZHI_HSTS_SECONDS": (
        "0",
        "Strict-Transport-Security max-age sent on HTTPS answers: browsers then refuse plain HTTP to this host for "
        "that long. 0 sends none; start small (300), then a year (31536000) once HTTPS works everywhere.",
    ),
    "GONGZHI_HSTS_INCLUDE_SUBDOMAINS": (
        "false",
        "Add includeSubDomains to Strict-Transport-Security (only when every subdomain serves HTTPS).",
    ),
    "GONGZHI_HSTS_PRELOAD": (
        "false",
        "Add preload to Strict-Transport-Security (for browsers' built-in lists; needs a year and includeSubDomains, "
        "and is hard to undo).",
    ),
    "GONGZHI_STAFF_SESSION_HOURS": (
        "10",
        "Hours a staff login lasts (from the moment of login; a working day by default). Staff then log in again.",
    ),
    "GONGZHI_RESIDENT_SESSION_DAYS": (
        "14",
        "Days a resident's session lasts after its last change: the phone login and the reports this browser sent "
        "(so the resident can follow and rate them).",
    ),
    "GONGZHI_LANGUAGE": ("zh-hans", "Default interface language: zh-hans or en."),
    "GONGZHI_TIME_ZONE": ("Asia/Shanghai", "Time zone for display; the database always stores UTC."),
    "GONGZHI_LOG_LEVEL": ("INFO", "Log level of the gongzhi loggers."),
    "GONGZHI_HOST": ("127.0.0.1", "Address `gongzhi run` listens on."),
    "GONGZHI_PORT": ("8000", "Port `gongzhi run` listens on."),
    "GONGZHI_WORKERS": ("0", "Server worker processes for `gongzhi run`; 0 means one per CPU core."),
    "GONGZHI_BACKPRESSURE": (
        "1000",
        "Connections one server worker holds open at once (granian backpressure), idle keep-alive connections "
        "included; more wait until one closes. Keep it far above the connections you expect (each browser keeps a "
        "few open); `gongzhi run` raises the open-files limit to match.",
    ),
    "GONGZHI_THREADS": (
        "1",
        "Threads running Django in each server worker (granian blocking threads); each has its own database "
        "connection.",
    ),
    "GONGZHI_KEEPALIVE_TIMEOUT": (
        "30",
        "Seconds the server keeps an idle connection open for the next request, and gives a new connection to send "
        "its request's headers; then it closes the connection.",
    ),
    "GONGZHI_GEO_CACHE_TTL": (
        "5",
        "Seconds a process trusts its cached grid boundary index before rechecking its version.",
    ),
    "GONGZHI_TRIAGE_AUTO_CONFIDENCE": (
        "0.9",
        "Triage suggestions at or above this confidence (0-1) are applied at submission by the system; below it the "
        "dispatcher chooses with the suggestions shown. Above 1 never applies one.",
    ),
    "GONGZHI_TRIAGE_DUPLICATE_DISTANCE_M": (
        "300",
        "Metres within which an open case with a similar text is offered as a duplicate (same grid node without GPS).",
    ),
    "GONGZHI_TRIAGE_DUPLICATE_WINDOW_HOURS": ("72", "How far back (hours) the duplicate finder looks for open cases."),
    "GONGZHI_TRIAGE_DUPLICATE_SIMILARITY": (
        "0.35",
        "Text similarity (0-1, bigram cosine, place words weighed down) from which an earlier case with the same "
        "suggested category counts as a possible duplicate; without a model to suggest categories, 0.25 more.",
    ),
    "GONGZHI_WALK_SPEED": (
        "1.2",
        "Walking speed (metres per second) of the 15-minute service circle: which buildings are within a walk of a "
        "station. 1.2 is an unhurried adult; elderly residents walk nearer 0.9.",
    ),
    "GONGZHI_WALK_DETOUR": (
        "1.3",
        "How much longer a walk is than the straight line (streets, gates, crossings) in the service circle; 1.3 suits "
        "a city grid, 1.5 gated compounds with few gates.",
    ),
    "GONGZHI_WALK_MINUTES": ("15", "Minutes of the service circle's walk (15分钟服务圈)."),
    "GONGZHI_DEMO": (
        "false",
        "Demo mode: the demo password (GONGZHI_DEMO_PASSWORD, and the built-in gongzhi-demo) may log in. Off, every "
        "login with it is refused and `gongzhi check --deploy` reports active accounts that have it. `make run` "
        "turns it on. Never in production.",
    ),
    "GONGZHI_DEMO_PASSWORD": ("gongzhi-demo", "Password given to every user `gongzhi demo` creates."),
    "GONGZHI_MAP_TILE_URL": (
        "",
        "Optional tile server URL template ({z}/{x}/{y}) for maps; empty means grid boundaries only (air-gapped).",
    ),
    "GONGZHI_SMS_BACKEND": (
        "console",
        "How text messages leave: console (log a masked line), file (DATA_DIR/sms/outbox.jsonl), null, locmem "
        "(tests), or the dotted path of a gateway class.",
    ),
    "GONGZHI_SMS_SIGNATURE": (
        "【共治】",
        "Signature put in front of every text message, as registered with the gateway.",
    ),
    "GONGZHI_SMS_OPTIONS": (
        "{}",
        "JSON object passed to the SMS backend as keyword arguments (gateway URL, credentials, the file path …).",
    ),
    "GONGZHI_SMS_DELIVERY": (
        "commit",
        "When queued text messages leave: commit (by the process that queued them, right after its transaction "
        "commits) or worker (in batches by `gongzhi worker`; use it with a real gateway so no request waits for it).",
    ),
    "GONGZHI_PUBLIC_URL": (
        "",
        "Address residents reach the site at (https://gz.example.gov.cn), printed in building QR codes; empty means "
        "the address of the request that makes the poster.",
    ),
    "GONGZHI_PHOTO_MAX_MB": (
        "8",
        "Largest photo anyone may upload, in megabytes (larger ones are refused, 413). It also bounds whole requests: "
        "a resident's report may be 4 such photos plus 1 MB, other forms 5 photos plus 1 MB (at least 24 MB); a "
        "larger request is refused from its Content-Length before it is read (413).",
    ),
    "GONGZHI_REPORT_RATE_LIMIT": (
        "10/3600",
        "Reports one client may send, as count/seconds (10/3600 = ten an hour); more are refused with 429.",
    ),
    "GONGZHI_LOGIN_RATE_LIMIT": (
        "10/600",
        "Failed staff logins (console and admin) one client may make, as count/seconds; past it every login from "
        "that client, right password or not, is refused until the window ends.",
    ),
    "GONGZHI_LOGIN_ACCOUNT_RATE_LIMIT": (
        "20/600",
        "Failed logins to one account, from anywhere, as count/seconds; past it that account cannot log in until "
        "the window ends. Must be higher than the per-client count, so one client alone cannot lock anyone out.",
    ),
    "GONGZHI_LOGIN_CODE_RATE_LIMIT": (
        "5/3600",
        "One-time login codes sent per phone number and per client, as count/seconds; more are refused with 429.",
    ),
    "GONGZHI_TRACK_RATE_LIMIT": (
        "20/600",
        "Unknown tracking codes (and Open311 request ids, tokens, API case codes) one client — a browser, an API key — "
        "may try, as count/seconds; after that every lookup from it is refused with 429 until the window ends, so "
        "codes cannot be guessed. A resident's own requests are never refused.",
    ),
    "GONGZHI_TRACK_ADDRESS_RATE_LIMIT": (
        "200/600",
        "The same for all clients behind one network address together (an IPv6 /64), as count/seconds: much higher "
        "than a client's, since a carrier puts many residents behind one address, yet a limit for a guesser that "
        "throws its cookie away.",
    ),
    "GONGZHI_PROXY_HOPS": (
        "0",
        "Reverse proxies in front of gongzhi that append X-Forwarded-For; the client address for rate limits is "
        "taken that many hops from the right (0 = the connection's address).",
    ),
    "GONGZHI_API_MAX_BODY_KB": (
        "64",
        "Largest request body the Open311 server and the exchange API accept, in kilobytes (larger ones: 413).",
    ),
    "GONGZHI_WEBHOOK_TIMEOUT": ("5", "Seconds the worker waits for a partner's webhook endpoint to answer."),
    "GONGZHI_WEBHOOK_MAX_ATTEMPTS": (
        "8",
        "Tries per webhook delivery before it is marked failed (retried with exponential back-off per destination).",
    ),
    "GONGZHI_ANALYTICS_MIN_SAMPLE": (
        "20",
        "Cases an area or unit needs behind a figure before the command centre ranks it (smaller ones are listed as "
        "too few to rank).",
    ),
    "GONGZHI_WEBHOOK_BACKOFF": (
        "30",
        "Seconds before the first webhook retry; each further retry waits twice as long (capped at six hours).",
    ),
    "GONGZHI_CARE_RETENTION_DAYS": (
        "1095",
        "Days the care registry keeps a resident who moved away (or died) before the worker erases them and "
        "anonymises their cases (the retention rule).",
    ),
    "GONGZHI_TOPIC_SUPPORT_HOUSEHOLDS": (
        "10",
        "Households that must support a topic residents propose (有事来协商) before staff may take it further.",
    ),
}


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the setting."""


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database: dict[str, object]
    database_replica: dict[str, object] | None
    secret_key: str
    field_keys: tuple[str, ...]
    blind_index_key: str
    debug: bool
    allowed_hosts: tuple[str, ...]
    csrf_trusted_origins: tuple[str, ...]
    secure_cookies: bool
    proxy_ssl_header: tuple[str, str] | None
    hsts_seconds: int
    hsts_include_subdomains: bool
    hsts_preload: bool
    staff_session_hours: float
    resident_session_days: float
    language: str
    time_zone: str
    log_level: str
    host: str
    port: int
    workers: int
    backpressure: int
    threads: int
    keepalive_timeout: float
    db_prepare: bool
    geo_cache_ttl: float
    triage_auto_confidence: float
    triage_duplicate_distance_m: float
    triage_duplicate_window_hours: float
    triage_duplicate_similarity: float
    walk_speed: float
    walk_detour: float
    walk_minutes: float
    demo: bool
    demo_password: str
    map_tile_url: str
    sms_backend: str
    sms_signature: str
    sms_options: dict[str, object]
    sms_delivery: str
    public_url: str
    photo_max_mb: float
    report_rate_limit: tuple[int, int]
    login_rate_limit: tuple[int, int]
    login_account_rate_limit: tuple[int, int]
    login_code_rate_limit: tuple[int, int]
    track_rate_limit: tuple[int, int]
    track_address_rate_limit: tuple[int, int]
    proxy_hops: int
    api_max_body_kb: int
    webhook_timeout: float
    webhook_max_attempts: int
    webhook_backoff: float
    analytics_min_sample: int
    care_retention_days: int
    topic_support_households: int


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=value lines; blank lines and # comments are skipped; values may be quoted."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{path}:{number}: expected KEY=value, got {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def parse_int(name: str, value: str, *, minimum: int = 0) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name}: must be at least {minimum}, got {number}")
    return number


def parse_float(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name}: expected a number, got {value!r}") from None
    if number < 0:
        raise ConfigError(f"{name}: must not be negative, got {number}")
    return number


def parse_seconds(name: str, value: str, *, minimum: float, maximum: float) -> float:
    return parse_bounded(name, value, minimum=minimum, maximum=maximum, unit="seconds")


def parse_bounded(name: str, value: str, *, minimum: float, maximum: float, unit: str) -> float:
    number = parse_float(name, value)
    if not minimum <= number <= maximum:  # also refuses nan and inf
        raise ConfigError(f"{name}: expected {minimum:g} to {maximum:g}{' ' + unit if unit else ''}, got {value!r}")
    return number


def split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def parse_database_url(
    url: str,
    *,
    conn_max_age: int,
    health_checks: bool = True,
    prepare: bool = True,
    setting: str = "GONGZHI_DATABASE_URL",
) -> dict[str, object]:
    """Turn postgres://user:pass@host:port/name?opt=v into a Django DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ConfigError(f"{setting}: only postgres:// URLs are supported, got scheme {parts.scheme!r}")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ConfigError(f"{setting}: the database name is missing (postgres://host/NAME)")
    options: dict[str, object] = dict(parse_qsl(parts.query))
    host = unquote(parts.hostname or "")
    # A socket directory can be given as ?host=/path, as libpq allows.
    host = str(options.pop("host", host))
    if prepare:
        # psycopg prepares nothing while its threshold is None (Django's default, for poolers). Django's own cursors
        # bind on the client and never prepare; only the hot-path statements ask to be (core.prepared).
        options["prepare_threshold"] = 5
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": health_checks,
        "OPTIONS": options,
    }


def parse_replica_url(
    url: str, *, primary: dict[str, object] | None, conn_max_age: int, health_checks: bool, prepare: bool
) -> dict[str, object] | None:
    """The replica's DATABASES entry, or None without one. A replica of SQLite does not exist, and one that is the
    primary itself would hide the lag this setting must be tested against."""
    if not url:
        return None
    name = "GONGZHI_DATABASE_REPLICA_URL"
    if primary is None:
        raise ConfigError(f"{name}: a replica needs a PostgreSQL primary; set GONGZHI_DATABASE_URL too")
    replica = parse_database_url(
        url, conn_max_age=conn_max_age, health_checks=health_checks, prepare=prepare, setting=name
    )
    where = ("HOST", "PORT", "NAME")
    if [replica[k] for k in where] == [primary[k] for k in where]:
        raise ConfigError(f"{name}: names the primary database itself (same host, port and name)")
    # Tests run on the primary's test database: the replica alias then reads it too (no replica in a test run).
    replica["TEST"] = {"MIRROR": "default"}
    return replica


def sqlite_database(data_dir: Path) -> dict[str, object]:
    return {
        "ENGINE": "gongzhi.core.sqlite",
        "NAME": str(data_dir / "gongzhi.sqlite3"),
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            # WAL lets readers run beside one writer; IMMEDIATE takes the write lock at BEGIN so two writers queue
            # (busy timeout) instead of failing with "database is locked" when a read transaction upgrades.
            # A page cache of up to 64 MB per connection (SQLite's default is 2 MB, filled only as pages are read):
            # a district's case indexes stay in memory (the 15-month simulation runs 1.1x faster).
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        # Tests run on an in-memory database, as they would on Django's own engine (pytest-django recognises that
        # engine by its name only, and would otherwise name per-worker files after the data directory's path).
        "TEST": {"NAME": ":memory:"},
    }


def parse_rate(name: str, value: str) -> tuple[int, int]:
    """Parse count/seconds: 10/3600 means at most 10 in any window of 3600 seconds."""
    count, sep, seconds = value.strip().partition("/")
    if not sep:
        raise ConfigError(f"{name}: expected count/seconds like 10/3600, got {value!r}")
    return parse_int(name, count.strip(), minimum=1), parse_int(name, seconds.strip(), minimum=1)


_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


def parse_proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """X-Forwarded-Proto → ("HTTP_X_FORWARDED_PROTO", "https"); X-Forwarded-Ssl:on → (…, "on"); empty → None."""
    text = value.strip()
    if not text:
        return None
    name, _sep, expected = text.partition(":")
    name, expected = name.strip(), expected.strip() or "https"
    if not _HEADER_NAME.fullmatch(name) or any(ch.isspace() for ch in expected):
        raise ConfigError(
            f"GONGZHI_PROXY_SSL_HEADER: expected a header name like X-Forwarded-Proto (or NAME:value), got {value!r}"
        )
    return "HTTP_" + name.upper().replace("-", "_"), expected


HSTS_PRELOAD_MIN_SECONDS = 31_536_000  # a year: what the browsers' preload lists require


def check_hsts(seconds: int, include_subdomains: bool, preload: bool) -> None:
    if (include_subdomains or preload) and not seconds:
        raise ConfigError("GONGZHI_HSTS_INCLUDE_SUBDOMAINS and GONGZHI_HSTS_PRELOAD need GONGZHI_HSTS_SECONDS above 0")
    if preload and (seconds < HSTS_PRELOAD_MIN_SECONDS or not include_subdomains):
        raise ConfigError(
            f"GONGZHI_HSTS_PRELOAD needs GONGZHI_HSTS_SECONDS of at least {HSTS_PRELOAD_MIN_SECONDS} (a year) and "
            "GONGZHI_HSTS_INCLUDE_SUBDOMAINS=true, as the browsers' preload lists do"
        )


def check_login_limits(client: tuple[int, int], account: tuple[int, int]) -> None:
    """One client alone must not be able to lock an account: it is stopped by its own limit first."""
    if account[0] <= client[0]:
        raise ConfigError(
            f"GONGZHI_LOGIN_ACCOUNT_RATE_LIMIT ({account[0]}/{account[1]}) must allow more failures than "
            f"GONGZHI_LOGIN_RATE_LIMIT ({client[0]}/{client[1]}), or one client alone could lock an account out"
        )


def parse_public_url(value: str) -> str:
    url = value.strip().rstrip("/")
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"GONGZHI_PUBLIC_URL: expected an address like https://gz.example.gov.cn, got {value!r}")
    return url


SMS_BACKENDS = ("console", "file", "null", "locmem")
_DOTTED_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def parse_sms_backend(value: str) -> str:
    name = value.strip()
    if name in SMS_BACKENDS or _DOTTED_PATH.fullmatch(name):
        return name
    raise ConfigError(
        f"GONGZHI_SMS_BACKEND: expected {', '.join(SMS_BACKENDS)} or a dotted path like mypkg.sms.Gateway, "
        f"got {value!r}"
    )


def parse_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    chosen = value.strip().lower()
    if chosen not in choices:
        raise ConfigError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return chosen


def parse_json_object(name: str, value: str) -> dict[str, object]:
    try:
        parsed: object = json.loads(value or "{}")
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{name}: expected a JSON object, got invalid JSON ({exc.msg})") from None
    if not isinstance(parsed, dict):
        raise ConfigError(f'{name}: expected a JSON object like {{"key": "value"}}, got {value!r}')
    return {str(key): item for key, item in parsed.items()}


def _generated(path: Path, make: str) -> str:
    """Read a generated secret, creating it once (0600) when missing.

    Written to a private temporary file and then linked into place, which fails if the file exists: of two processes
    starting together on a fresh data directory (`make run` collects static files beside `gongzhi demo`), one writes
    the secret and the other reads that one — never an empty or half-written file.
    """
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(make + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            return path.read_text(encoding="utf-8").strip()
    finally:
        temporary.unlink()
    return make


def _fernet_key() -> str:
    import base64

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def load(environ: Mapping[str, str] | None = None, *, cwd: Path | None = None) -> Config:
    env = dict(os.environ if environ is None else environ)
    env_file = env.get("GONGZHI_ENV_FILE", "")
    if env_file:
        file_values = read_env_file(Path(env_file))
        unknown = sorted(k for k in file_values if k.startswith(PREFIX) and k not in SETTINGS)
        if unknown:
            raise ConfigError(f"{env_file}: unknown settings {', '.join(unknown)}")
        env = {**file_values, **env}

    def get(name: str) -> str:
        return env.get(name, SETTINGS[name][0])

    base = cwd or Path.cwd()
    data_dir = Path(get("GONGZHI_DATA_DIR")).expanduser()
    if not data_dir.is_absolute():
        data_dir = (base / data_dir).resolve()

    conn_max_age = parse_int("GONGZHI_DB_CONN_MAX_AGE", get("GONGZHI_DB_CONN_MAX_AGE"))
    db_prepare = parse_bool("GONGZHI_DB_PREPARE", get("GONGZHI_DB_PREPARE"))
    health_checks = parse_bool("GONGZHI_DB_HEALTH_CHECKS", get("GONGZHI_DB_HEALTH_CHECKS"))
    database_url = get("GONGZHI_DATABASE_URL").strip()
    database = (
        parse_database_url(database_url, conn_max_age=conn_max_age, health_checks=health_checks, prepare=db_prepare)
        if database_url
        else sqlite_database(data_dir)
    )
    database_replica = parse_replica_url(
        get("GONGZHI_DATABASE_REPLICA_URL").strip(),
        primary=database if database_url else None,
        conn_max_age=conn_max_age,
        health_checks=health_checks,
        prepare=db_prepare,
    )

    secret_key = get("GONGZHI_SECRET_KEY") or _generated(data_dir / "secret_key", secrets.token_urlsafe(50))
    field_keys = split_list(get("GONGZHI_FIELD_KEYS")) or split_list(_generated(data_dir / "field_keys", _fernet_key()))
    blind_index_key = get("GONGZHI_BLIND_INDEX_KEY") or _generated(data_dir / "blind_index_key", secrets.token_hex(32))

    language = get("GONGZHI_LANGUAGE").lower()
    if language not in {"zh-hans", "en"}:
        raise ConfigError(f"GONGZHI_LANGUAGE: expected zh-hans or en, got {language!r}")
    log_level = get("GONGZHI_LOG_LEVEL").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(f"GONGZHI_LOG_LEVEL: expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {log_level!r}")

    hsts_seconds = parse_int("GONGZHI_HSTS_SECONDS", get("GONGZHI_HSTS_SECONDS"))
    hsts_include_subdomains = parse_bool("GONGZHI_HSTS_INCLUDE_SUBDOMAINS", get("GONGZHI_HSTS_INCLUDE_SUBDOMAINS"))
    hsts_preload = parse_bool("GONGZHI_HSTS_PRELOAD", get("GONGZHI_HSTS_PRELOAD"))
    check_hsts(hsts_seconds, hsts_include_subdomains, hsts_preload)
    login_rate_limit = parse_rate("GONGZHI_LOGIN_RATE_LIMIT", get("GONGZHI_LOGIN_RATE_LIMIT"))
    login_account_rate_limit = parse_rate("GONGZHI_LOGIN_ACCOUNT_RATE_LIMIT", get("GONGZHI_LOGIN_ACCOUNT_RATE_LIMIT"))
    check_login_limits(login_rate_limit, login_account_rate_limit)
    staff_session_hours = parse_float("GONGZHI_STAFF_SESSION_HOURS", get("GONGZHI_STAFF_SESSION_HOURS"))
    resident_session_days = parse_float("GONGZHI_RESIDENT_SESSION_DAYS", get("GONGZHI_RESIDENT_SESSION_DAYS"))
    for name, value in (
        ("GONGZHI_STAFF_SESSION_HOURS", staff_session_hours),
        ("GONGZHI_RESIDENT_SESSION_DAYS", resident_session_days),
    ):
        if value <= 0:
            raise ConfigError(f"{name}: must be above 0, got {value}")

    return Config(
        data_dir=data_dir,
        database=database,
        database_replica=database_replica,
        secret_key=secret_key,
        field_keys=field_keys,
        blind_index_key=blind_index_key,
        debug=parse_bool("GONGZHI_DEBUG", get("GONGZHI_DEBUG")),
        allowed_hosts=split_list(get("GONGZHI_ALLOWED_HOSTS")),
        csrf_trusted_origins=split_list(get("GONGZHI_CSRF_TRUSTED_ORIGINS")),
        secure_cookies=parse_bool("GONGZHI_SECURE_COOKIES", get("GONGZHI_SECURE_COOKIES")),
        proxy_ssl_header=parse_proxy_ssl_header(get("GONGZHI_PROXY_SSL_HEADER")),
        hsts_seconds=hsts_seconds,
        hsts_include_subdomains=hsts_include_subdomains,
        hsts_preload=hsts_preload,
        staff_session_hours=staff_session_hours,
        resident_session_days=resident_session_days,
        language=language,
        time_zone=get("GONGZHI_TIME_ZONE"),
        log_level=log_level,
        host=get("GONGZHI_HOST"),
        port=parse_int("GONGZHI_PORT", get("GONGZHI_PORT"), minimum=1),
        workers=parse_int("GONGZHI_WORKERS", get("GONGZHI_WORKERS")),
        backpressure=parse_int("GONGZHI_BACKPRESSURE", get("GONGZHI_BACKPRESSURE"), minimum=1),
        threads=parse_int("GONGZHI_THREADS", get("GONGZHI_THREADS"), minimum=1),
        keepalive_timeout=parse_seconds(
            "GONGZHI_KEEPALIVE_TIMEOUT", get("GONGZHI_KEEPALIVE_TIMEOUT"), minimum=1, maximum=3600
        ),
        db_prepare=db_prepare,
        geo_cache_ttl=parse_float("GONGZHI_GEO_CACHE_TTL", get("GONGZHI_GEO_CACHE_TTL")),
        triage_auto_confidence=parse_float("GONGZHI_TRIAGE_AUTO_CONFIDENCE", get("GONGZHI_TRIAGE_AUTO_CONFIDENCE")),
        triage_duplicate_distance_m=parse_float(
            "GONGZHI_TRIAGE_DUPLICATE_DISTANCE_M", get("GONGZHI_TRIAGE_DUPLICATE_DISTANCE_M")
        ),
        triage_duplicate_window_hours=parse_float(
            "GONGZHI_TRIAGE_DUPLICATE_WINDOW_HOURS", get("GONGZHI_TRIAGE_DUPLICATE_WINDOW_HOURS")
        ),
        triage_duplicate_similarity=parse_float(
            "GONGZHI_TRIAGE_DUPLICATE_SIMILARITY", get("GONGZHI_TRIAGE_DUPLICATE_SIMILARITY")
        ),
        walk_speed=parse_bounded("GONGZHI_WALK_SPEED", get("GONGZHI_WALK_SPEED"), minimum=0.1, maximum=5, unit="m/s"),
        walk_detour=parse_bounded("GONGZHI_WALK_DETOUR", get("GONGZHI_WALK_DETOUR"), minimum=1, maximum=5, unit=""),
        walk_minutes=parse_bounded(
            "GONGZHI_WALK_MINUTES", get("GONGZHI_WALK_MINUTES"), minimum=1, maximum=120, unit="minutes"
        ),
        demo=parse_bool("GONGZHI_DEMO", get("GONGZHI_DEMO")),
        demo_password=get("GONGZHI_DEMO_PASSWORD"),
        map_tile_url=get("GONGZHI_MAP_TILE_URL"),
        sms_backend=parse_sms_backend(get("GONGZHI_SMS_BACKEND")),
        sms_signature=get("GONGZHI_SMS_SIGNATURE"),
        sms_options=parse_json_object("GONGZHI_SMS_OPTIONS", get("GONGZHI_SMS_OPTIONS")),
        sms_delivery=parse_choice("GONGZHI_SMS_DELIVERY", get("GONGZHI_SMS_DELIVERY"), ("commit", "worker")),
        public_url=parse_public_url(get("GONGZHI_PUBLIC_URL")),
        photo_max_mb=parse_float("GONGZHI_PHOTO_MAX_MB", get("GONGZHI_PHOTO_MAX_MB")),
        report_rate_limit=parse_rate("GONGZHI_REPORT_RATE_LIMIT", get("GONGZHI_REPORT_RATE_LIMIT")),
        login_rate_limit=login_rate_limit,
        login_account_rate_limit=login_account_rate_limit,
        login_code_rate_limit=parse_rate("GONGZHI_LOGIN_CODE_RATE_LIMIT", get("GONGZHI_LOGIN_CODE_RATE_LIMIT")),
        track_rate_limit=parse_rate("GONGZHI_TRACK_RATE_LIMIT", get("GONGZHI_TRACK_RATE_LIMIT")),
        track_address_rate_limit=parse_rate(
            "GONGZHI_TRACK_ADDRESS_RATE_LIMIT", get("GONGZHI_TRACK_ADDRESS_RATE_LIMIT")
        ),
        proxy_hops=parse_int("GONGZHI_PROXY_HOPS", get("GONGZHI_PROXY_HOPS")),
        api_max_body_kb=parse_int("GONGZHI_API_MAX_BODY_KB", get("GONGZHI_API_MAX_BODY_KB"), minimum=1),
        webhook_timeout=parse_float("GONGZHI_WEBHOOK_TIMEOUT", get("GONGZHI_WEBHOOK_TIMEOUT")),
        webhook_max_attempts=parse_int("GONGZHI_WEBHOOK_MAX_ATTEMPTS", get("GONGZHI_WEBHOOK_MAX_ATTEMPTS"), minimum=1),
        webhook_backoff=parse_float("GONGZHI_WEBHOOK_BACKOFF", get("GONGZHI_WEBHOOK_BACKOFF")),
        analytics_min_sample=parse_int("GONGZHI_ANALYTICS_MIN_SAMPLE", get("GONGZHI_ANALYTICS_MIN_SAMPLE"), minimum=1),
        care_retention_days=parse_int("GONGZHI_CARE_RETENTION_DAYS", get("GONGZHI_CARE_RETENTION_DAYS"), minimum=1),
        topic_support_households=parse_int(
            "GONGZHI_TOPIC_SUPPORT_HOUSEHOLDS", get("GONGZHI_TOPIC_SUPPORT_HOUSEHOLDS"), minimum=1
        ),
    )
