"""Django settings, derived entirely from ``gongzhi.config`` (GONGZHI_* environment variables)."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

from gongzhi import config as _config

CONFIG = _config.load()
BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = CONFIG.data_dir
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)
CSRF_TRUSTED_ORIGINS = list(CONFIG.csrf_trusted_origins)
SESSION_COOKIE_SECURE = CONFIG.secure_cookies
CSRF_COOKIE_SECURE = CONFIG.secure_cookies
SESSION_COOKIE_HTTPONLY = True
SESSION_ENGINE = "gongzhi.core.sessions"  # Django's database sessions, read by one plain statement
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS behind a reverse proxy: the header it sets on requests that came in over TLS (None: a direct TLS connection
# only). Strict-Transport-Security goes on HTTPS answers only (SecurityMiddleware).
SECURE_PROXY_SSL_HEADER = CONFIG.proxy_ssl_header
SECURE_HSTS_SECONDS = CONFIG.hsts_seconds
SECURE_HSTS_INCLUDE_SUBDOMAINS = CONFIG.hsts_include_subdomains
SECURE_HSTS_PRELOAD = CONFIG.hsts_preload
# Residents' sessions (the phone login, the reports this browser sent) last this long after their last change; a
# staff login ends GONGZHI_STAFF_SESSION_HOURS after it began (accounts.sessions).
SESSION_COOKIE_AGE = int(CONFIG.resident_session_days * 86400)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "gongzhi.core.task_queue.TasksDatabaseConfig",  # django_tasks_db, with a translated name in the admin
    "gongzhi.core",
    "gongzhi.accounts",
    "gongzhi.grid",
    "gongzhi.notifications",
    "gongzhi.routing",
    "gongzhi.cases",
    "gongzhi.lists",
    "gongzhi.stations",
    "gongzhi.market",
    "gongzhi.care",
    "gongzhi.deliberation",
    "gongzhi.volunteers",
    "gongzhi.console",
    "gongzhi.portal",
    "gongzhi.analytics",
    "gongzhi.ops",
    "gongzhi.open311",
    "gongzhi.api",
    "ninja",  # serves the API docs (Swagger UI) from its own static files, no CDN
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gongzhi.core.middleware.RefuseNulMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gongzhi.core.middleware.PrivateNoStoreMiddleware",  # after WhiteNoise (static keeps its caching), outside sessions
    "gongzhi.core.middleware.SessionMiddleware",  # Django's, with a 503 when the session cannot be saved
    "gongzhi.core.db.RecentWriteMiddleware",  # with a replica: a browser that just wrote reads from the primary
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which reads the body: a request larger than its view can use is refused unread (413).
    "gongzhi.core.uploads.RequestSizeLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gongzhi.core.middleware.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "gongzhi.urls"
WSGI_APPLICATION = "gongzhi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gongzhi.core.context_processors.site",
                "gongzhi.console.context_processors.console",
            ],
        },
    },
]

DATABASES = {"default": CONFIG.database}
if CONFIG.database_replica is not None:
    DATABASES["replica"] = CONFIG.database_replica  # read only where a view opts in (core.db)
DATABASE_ROUTERS = ["gongzhi.core.db.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = CONFIG.language
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = CONFIG.time_zone
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start-up when it is missing (before the first collectstatic)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Source maps (django-ninja ships 15 MB of them for its API docs) are for developer tools only: not worth compressing,
# which would make the first `gongzhi run` (collectstatic) several times slower.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
# Form fields (not files) larger than this are refused by Django (400). Whole requests are bounded by
# core.uploads.RequestSizeLimitMiddleware from their Content-Length (413): photos × GONGZHI_PHOTO_MAX_MB + 1 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Content Security Policy: nothing from another host, ever (air-gapped deployments; DESIGN.md §6).
SECURE_CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:", *([CONFIG.map_tile_url.split("/{")[0]] if CONFIG.map_tile_url else [])],
    "style-src": ["'self'"],
    "script-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Everything goes to stderr, which the service manager keeps (journald, docker logs). Every server error (500) is
# logged by django.request with its traceback; with DEBUG off Django's own configuration would only mail it to
# ADMINS (there are none), so without this a 500 left no trace at all. 4xx answers are not logged here (WARNING).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "plain"}},
    "loggers": {
        "gongzhi": {"handlers": ["console"], "level": CONFIG.log_level},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# gongzhi's own settings (read through django.conf.settings by the apps).
GONGZHI_FIELD_KEYS = CONFIG.field_keys
GONGZHI_BLIND_INDEX_KEY = CONFIG.blind_index_key
GONGZHI_GEO_CACHE_TTL = CONFIG.geo_cache_ttl
GONGZHI_DB_PREPARE = CONFIG.db_prepare
GONGZHI_TRIAGE_AUTO_CONFIDENCE = CONFIG.triage_auto_confidence
GONGZHI_TRIAGE_DUPLICATE_DISTANCE_M = CONFIG.triage_duplicate_distance_m
GONGZHI_WALK_SPEED = CONFIG.walk_speed
GONGZHI_WALK_DETOUR = CONFIG.walk_detour
GONGZHI_WALK_MINUTES = CONFIG.walk_minutes
GONGZHI_TRIAGE_DUPLICATE_WINDOW_HOURS = CONFIG.triage_duplicate_window_hours
GONGZHI_TRIAGE_DUPLICATE_SIMILARITY = CONFIG.triage_duplicate_similarity
GONGZHI_DEMO = CONFIG.demo
GONGZHI_DEMO_PASSWORD = CONFIG.demo_password
GONGZHI_STAFF_SESSION_HOURS = CONFIG.staff_session_hours
GONGZHI_RESIDENT_SESSION_DAYS = CONFIG.resident_session_days
GONGZHI_LOGIN_RATE_LIMIT = CONFIG.login_rate_limit
GONGZHI_LOGIN_ACCOUNT_RATE_LIMIT = CONFIG.login_account_rate_limit
GONGZHI_MAP_TILE_URL = CONFIG.map_tile_url
GONGZHI_SMS_BACKEND = CONFIG.sms_backend
GONGZHI_SMS_SIGNATURE = CONFIG.sms_signature
GONGZHI_SMS_OPTIONS = CONFIG.sms_options
GONGZHI_SMS_DELIVERY = CONFIG.sms_delivery
GONGZHI_PUBLIC_URL = CONFIG.public_url
GONGZHI_PHOTO_MAX_MB = CONFIG.photo_max_mb
GONGZHI_REPORT_RATE_LIMIT = CONFIG.report_rate_limit
GONGZHI_LOGIN_CODE_RATE_LIMIT = CONFIG.login_code_rate_limit
GONGZHI_TRACK_RATE_LIMIT = CONFIG.track_rate_limit
GONGZHI_TRACK_ADDRESS_RATE_LIMIT = CONFIG.track_address_rate_limit
GONGZHI_PROXY_HOPS = CONFIG.proxy_hops
GONGZHI_API_MAX_BODY_KB = CONFIG.api_max_body_kb
GONGZHI_WEBHOOK_TIMEOUT = CONFIG.webhook_timeout
GONGZHI_WEBHOOK_MAX_ATTEMPTS = CONFIG.webhook_max_attempts
GONGZHI_WEBHOOK_BACKOFF = CONFIG.webhook_backoff
GONGZHI_ANALYTICS_MIN_SAMPLE = CONFIG.analytics_min_sample
GONGZHI_CARE_RETENTION_DAYS = CONFIG.care_retention_days
GONGZHI_TOPIC_SUPPORT_HOUSEHOLDS = CONFIG.topic_support_households
GONGZHI_SITE_NAME = _("Gongzhi community governance")
