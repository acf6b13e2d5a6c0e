"""The env-first configuration (pure) and that every setting is documented."""

import re
from pathlib import Path

import pytest

from gongzhi import config

REPO = Path(__file__).resolve().parents[3]


def test_zero_config_defaults_to_sqlite_wal_in_the_data_dir(tmp_path):
    cfg = config.load({}, cwd=tmp_path)
    assert cfg.data_dir == tmp_path / "var"
    assert cfg.database["ENGINE"] == "gongzhi.core.sqlite"
    assert cfg.database["NAME"] == str(tmp_path / "var" / "gongzhi.sqlite3")
    assert "journal_mode=WAL" in cfg.database["OPTIONS"]["init_command"]
    assert cfg.language == "zh-hans"
    assert cfg.debug is False


def test_generated_secrets_are_created_once_and_private(tmp_path):
    first = config.load({"GONGZHI_DATA_DIR": str(tmp_path)})
    second = config.load({"GONGZHI_DATA_DIR": str(tmp_path)})
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 50
    assert first.field_keys == second.field_keys
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "field_keys").stat().st_mode & 0o777 == 0o600


def test_a_key_another_process_wrote_meanwhile_is_read_not_overwritten(tmp_path, monkeypatch):
    # `make run` collects static files beside `gongzhi demo`: two processes may both find no key on a fresh data
    # dir, and the second to write must take the first one's key (it used to fail with FileExistsError).
    (tmp_path / "secret_key").write_text("written-by-the-other-process\n")
    real_exists = Path.exists
    monkeypatch.setattr(Path, "exists", lambda p: False if p.name == "secret_key" else real_exists(p))
    assert config.load({"GONGZHI_DATA_DIR": str(tmp_path)}).secret_key == "written-by-the-other-process"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blind_index_key", "field_keys", "secret_key"]


def test_serving_defaults(tmp_path):
    cfg = config.load({"GONGZHI_DATA_DIR": str(tmp_path)})
    assert (cfg.backpressure, cfg.threads, cfg.keepalive_timeout) == (1000, 1, 30.0)


def test_database_url_gives_persistent_postgres_connections(tmp_path):
    url = "postgres://gz:p%40ss@db.local:6543/gongzhi?sslmode=require"
    cfg = config.load({"GONGZHI_DATA_DIR": str(tmp_path), "GONGZHI_DATABASE_URL": url})
    db = cfg.database
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "gongzhi",
        "gz",
        "p@ss",
        "db.local",
        "6543",
    )
    assert db["OPTIONS"] == {"sslmode": "require", "prepare_threshold": 5}  # GONGZHI_DB_PREPARE defaults to true
    assert db["CONN_MAX_AGE"] == 600
    off = config.load({"GONGZHI_DATA_DIR": str(tmp_path), "GONGZHI_DATABASE_URL": url, "GONGZHI_DB_PREPARE": "false"})
    assert off.database["OPTIONS"] == {"sslmode": "require"} and off.db_prepare is False


def test_socket_directory_host_in_query(tmp_path):
    db = config.parse_database_url("postgresql://postgres@/gz?host=/run/pg", conn_max_age=0, prepare=False)
    assert db["HOST"] == "/run/pg" and db["OPTIONS"] == {} and db["CONN_MAX_AGE"] == 0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GONGZHI_DATABASE_URL": "mysql://x/y"}, "only postgres:// URLs"),
        ({"GONGZHI_DATABASE_URL": "postgres://host/"}, "database name is missing"),
        ({"GONGZHI_DEBUG": "maybe"}, "GONGZHI_DEBUG: expected true or false"),
        ({"GONGZHI_PORT": "eighty"}, "GONGZHI_PORT: expected a whole number"),
        ({"GONGZHI_PORT": "0"}, "GONGZHI_PORT: must be at least 1"),
        ({"GONGZHI_LANGUAGE": "fr"}, "GONGZHI_LANGUAGE"),
        ({"GONGZHI_GEO_CACHE_TTL": "-1"}, "must not be negative"),
        ({"GONGZHI_LOG_LEVEL": "LOUD"}, "GONGZHI_LOG_LEVEL"),
        ({"GONGZHI_BACKPRESSURE": "0"}, "GONGZHI_BACKPRESSURE: must be at least 1"),
        ({"GONGZHI_THREADS": "0"}, "GONGZHI_THREADS: must be at least 1"),
        ({"GONGZHI_THREADS": "two"}, "GONGZHI_THREADS: expected a whole number"),
        ({"GONGZHI_KEEPALIVE_TIMEOUT": "0.5"}, "GONGZHI_KEEPALIVE_TIMEOUT: expected 1 to 3600 seconds, got '0.5'"),
        ({"GONGZHI_KEEPALIVE_TIMEOUT": "nan"}, "GONGZHI_KEEPALIVE_TIMEOUT: expected 1 to 3600 seconds"),
        ({"GONGZHI_KEEPALIVE_TIMEOUT": "7200"}, "GONGZHI_KEEPALIVE_TIMEOUT: expected 1 to 3600 seconds"),
        ({"GONGZHI_KEEPALIVE_TIMEOUT": "soon"}, "GONGZHI_KEEPALIVE_TIMEOUT: expected a number"),
        ({"GONGZHI_WALK_SPEED": "0"}, "GONGZHI_WALK_SPEED: expected 0.1 to 5 m/s, got '0'"),
        ({"GONGZHI_WALK_SPEED": "inf"}, "GONGZHI_WALK_SPEED: expected 0.1 to 5 m/s"),
        ({"GONGZHI_WALK_DETOUR": "0.8"}, "GONGZHI_WALK_DETOUR: expected 1 to 5, got '0.8'"),
        ({"GONGZHI_WALK_MINUTES": "a quarter"}, "GONGZHI_WALK_MINUTES: expected a number"),
        ({"GONGZHI_WALK_MINUTES": "0"}, "GONGZHI_WALK_MINUTES: expected 1 to 120 minutes"),
    ],
)
def test_bad_values_name_the_setting(tmp_path, env, message):
    with pytest.raises(config.ConfigError, match=message):
        config.load({"GONGZHI_DATA_DIR": str(tmp_path), **env})


def test_env_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / "gongzhi.env"
    env_file.write_text(
        "# comment\nexport GONGZHI_PORT=9000\nGONGZHI_DEBUG='true'\nGONGZHI_LANGUAGE=en\n", encoding="utf-8"
    )
    cfg = config.load(
        {"GONGZHI_ENV_FILE": str(env_file), "GONGZHI_DATA_DIR": str(tmp_path), "GONGZHI_LANGUAGE": "zh-hans"}
    )
    assert cfg.port == 9000 and cfg.debug is True and cfg.language == "zh-hans"


def test_env_file_with_a_typo_is_refused(tmp_path):
    env_file = tmp_path / "gongzhi.env"
    env_file.write_text("GONGZHI_PROT=9000\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match="unknown settings GONGZHI_PROT"):
        config.load({"GONGZHI_ENV_FILE": str(env_file), "GONGZHI_DATA_DIR": str(tmp_path)})
    env_file.write_text("just words\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match=":1: expected KEY=value"):
        config.load({"GONGZHI_ENV_FILE": str(env_file), "GONGZHI_DATA_DIR": str(tmp_path)})


def test_every_setting_is_documented_and_every_documented_setting_exists():
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(GONGZHI_[A-Z_]+)`", doc))
    assert documented == set(config.SETTINGS)
    used_in_code = set()
    for path in (REPO / "gongzhi").rglob("*.py"):
        if "tests" in path.parts:
            continue
        used_in_code |= set(re.findall(r"\bGONGZHI_[A-Z_]+[A-Z]\b", path.read_text(encoding="utf-8")))
    # Django-side names derived from settings (GONGZHI_SITE_NAME …) are not environment variables.
    derived = {"GONGZHI_SITE_NAME"}
    assert used_in_code - derived <= set(config.SETTINGS), used_in_code - derived - set(config.SETTINGS)


# ------------------------------------------------------------------------------------------- security settings


def test_security_defaults(tmp_path):
    cfg = config.load({"GONGZHI_DATA_DIR": str(tmp_path)})
    assert cfg.proxy_ssl_header is None
    assert (cfg.hsts_seconds, cfg.hsts_include_subdomains, cfg.hsts_preload) == (0, False, False)
    assert (cfg.staff_session_hours, cfg.resident_session_days) == (10, 14)
    assert cfg.login_rate_limit == (10, 600) and cfg.login_account_rate_limit == (20, 600)
    assert cfg.demo is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", None),
        ("X-Forwarded-Proto", ("HTTP_X_FORWARDED_PROTO", "https")),
        (" x-forwarded-proto ", ("HTTP_X_FORWARDED_PROTO", "https")),
        ("X-Forwarded-Ssl:on", ("HTTP_X_FORWARDED_SSL", "on")),
    ],
)
def test_proxy_ssl_header(value, expected):
    assert config.parse_proxy_ssl_header(value) == expected


@pytest.mark.parametrize("value", ["X Forwarded Proto", "X-Forwarded-Proto: h t", "-x", ":https", "X_Forwarded"])
def test_proxy_ssl_header_refuses_nonsense(value):
    with pytest.raises(config.ConfigError, match="GONGZHI_PROXY_SSL_HEADER"):
        config.parse_proxy_ssl_header(value)


@pytest.mark.parametrize(
    "env",
    [
        {"GONGZHI_HSTS_INCLUDE_SUBDOMAINS": "true"},
        {"GONGZHI_HSTS_SECONDS": "3600", "GONGZHI_HSTS_PRELOAD": "true", "GONGZHI_HSTS_INCLUDE_SUBDOMAINS": "true"},
        {"GONGZHI_HSTS_SECONDS": "31536000", "GONGZHI_HSTS_PRELOAD": "true"},
        {"GONGZHI_LOGIN_RATE_LIMIT": "20/600", "GONGZHI_LOGIN_ACCOUNT_RATE_LIMIT": "20/600"},
        {"GONGZHI_STAFF_SESSION_HOURS": "0"},
        {"GONGZHI_RESIDENT_SESSION_DAYS": "0"},
        {"GONGZHI_DEMO": "maybe"},
    ],
)
def test_security_settings_that_cannot_work_stop_the_start(tmp_path, env):
    with pytest.raises(config.ConfigError, match=next(iter(env))):
        config.load({"GONGZHI_DATA_DIR": str(tmp_path), **env})


def test_hsts_preload_with_a_year_and_subdomains(tmp_path):
    cfg = config.load(
        {
            "GONGZHI_DATA_DIR": str(tmp_path),
            "GONGZHI_HSTS_SECONDS": "31536000",
            "GONGZHI_HSTS_INCLUDE_SUBDOMAINS": "yes",
            "GONGZHI_HSTS_PRELOAD": "on",
            "GONGZHI_STAFF_SESSION_HOURS": "8.5",
        }
    )
    assert (cfg.hsts_seconds, cfg.hsts_include_subdomains, cfg.hsts_preload, cfg.staff_session_hours) == (
        31536000,
        True,
        True,
        8.5,
    )
