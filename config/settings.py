"""Minhu's one settings module. Everything that differs between machines comes from the environment.

Every variable is documented in docs/configuration.md. A secret may also be given as NAME_FILE, the path of a
file holding it (Docker and systemd credentials work that way).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """The value of MINHU_<name> or of the file named by MINHU_<name>_FILE, else default."""
    key = name if name == "DATABASE_URL" or name == "CI" else f"MINHU_{name}"
    path = os.environ.get(f"{key}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(key, default)


def env_bool(name: str, default: bool) -> bool:
    raw = env(name, "1" if default else "0").strip().lower()
    return raw in ("1", "true", "yes", "on")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Under pytest static files come from the finders, so tests need no collectstatic.
TESTING = env_bool("TESTING", False) or "pytest" in sys.modules
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "var")))


def _local_secret_key() -> str:
    """Without MINHU_SECRET_KEY, a random key kept in DATA_DIR: a fresh install is never on a known key."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        import secrets

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY") or _local_secret_key()

INSTALLED_APPS = [
    "minhu.core",
    "minhu.accounts",
    "minhu.grid",
    "minhu.appeals",
    "minhu.meetings",
    "minhu.problems",
    "minhu.insights",
    "minhu.open311",
    "minhu.mobilise",
    "minhu.ledger",
    "minhu.bench",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "minhu.core.middleware.RequestContextMiddleware",
    "minhu.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "minhu.core.middleware.LanguageMiddleware",
    "minhu.core.middleware.NulCharacterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "minhu.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes goes last: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "minhu.core.context_processors.inbox",
            ],
        },
    },
]

# --- database ------------------------------------------------------------------------------------
# SQLite is the embedded default: WAL so readers never wait for the writer, a busy timeout so writers queue
# instead of failing, and IMMEDIATE transactions so a transaction that will write takes the lock up front
# (no "database is locked" upgrade deadlocks under concurrent requests).
_SQLITE_DEFAULT = f"sqlite:///{DATA_DIR / 'minhu.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL", _SQLITE_DEFAULT), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
    }
    # Tests use a file (not Django's shared in-memory database, whose table locks make concurrent writers
    # fail instead of wait), one per test process so parallel runs never meet.
    DATABASES["default"]["TEST"] = {
        "NAME": env("TEST_SQLITE_NAME", "")
        or str(Path(tempfile.gettempdir()) / f"minhu-test-{os.getpid()}.sqlite3")
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts and login policy (等保 2.0 level-3 practice; see docs/security.md) ----------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(env("PASSWORD_MIN_LENGTH", "10"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "minhu.accounts.validators.CharacterClassValidator"},
    {"NAME": "minhu.accounts.validators.ContainsUserNameValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock an account (by user name, whatever address the attempts come from) after repeated failures.
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("LOGIN_LOCKOUT_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_IPWARE_PROXY_COUNT = int(env("PROXY_COUNT", "0"))
AXES_VERBOSE = False
# axes.W006 warns that no IP address is in the lockout parameters: we lock the *account* whatever the source
# (等保 2.0 practice); locking addresses would lock out a whole village office behind one NAT.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Administrators must add a second factor (TOTP, any authenticator app) before anything else.
ADMIN_2FA = env_bool("ADMIN_2FA", True)
OTP_TOTP_ISSUER = "Minhu"
OTP_TOTP_THROTTLE_FACTOR = 1

# Sessions end after SESSION_MINUTES without activity, and when the browser closes.
SESSION_COOKIE_AGE = int(env("SESSION_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- HTTPS and headers (production sets MINHU_HTTPS=1 behind a TLS terminator) -----------------------
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("HSTS_PRELOAD", True)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- language and time -----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True  # stored in UTC
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")  # shown in Asia/Shanghai
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# --- static files: served by the app itself (WhiteNoise); nothing loads from a CDN -------------------
STATIC_URL = "/static/"
# Under tests static files come from the finders; no collected directory is needed (or warned about).
STATIC_ROOT = None if TESTING else DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = TESTING

# --- background work: one DB-backed queue (django-tasks); swap BACKEND for a broker by settings alone --
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
WORKER_HEARTBEAT_SECONDS = int(env("WORKER_HEARTBEAT_SECONDS", "15"))
WORKER_STALE_SECONDS = int(env("WORKER_STALE_SECONDS", "120"))


# --- notifications: channel → backend (docs/notifications.md). SMS and WeChat go to gateways by signed
# webhook; without a gateway URL they print to the console (the demo).
def _gateway(name: str) -> dict[str, Any]:
    url = env(f"{name}_WEBHOOK_URL")
    if not url:
        return {"BACKEND": "minhu.core.outbox.ConsoleChannel"}
    return {
        "BACKEND": "minhu.core.outbox.WebhookChannel",
        "URL": url,
        "SECRET": env(f"{name}_WEBHOOK_SECRET"),
    }


NOTIFY_CHANNELS: dict[str, dict[str, Any]] = {
    "inapp": {"BACKEND": "minhu.core.outbox.InAppChannel"},
    "console": {"BACKEND": "minhu.core.outbox.ConsoleChannel"},
    "email": {"BACKEND": "minhu.core.outbox.EmailChannel"},
    "sms": _gateway("SMS"),
    "wechat": _gateway("WECHAT"),
}
# A row being sent is leased to its sender for this long, renewed while it sends; a dead sender's rows are
# sent again once their lease has run out (docs/notifications.md).
OUTBOX_LEASE_SECONDS = float(env("OUTBOX_LEASE_SECONDS", "30"))
# Jobs the worker queues on a timer (one worker at a time holds the scheduler lease).
PERIODIC_TASKS = [
    "minhu.core.tasks.deliver_notifications",
    "minhu.core.tasks.send_digests",
    "minhu.core.tasks.sweep_deadlines",
    "minhu.mobilise.tasks.sync_care_plans",
    "minhu.insights.tasks.refresh_rollup",
]
PERIODIC_SECONDS = int(env("PERIODIC_SECONDS", "30"))
# The site's address as people outside reach it: links in SMS and WeChat messages are absolute, this joined
# with the path (in-app messages keep relative links).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- appeals: weights of response, resolution and satisfaction rates in the composite score (one county
# uses 30 / 35 / 35 %); local practice, so configuration.
APPEAL_RATE_WEIGHTS = tuple(float(w) for w in env_list("APPEAL_RATE_WEIGHTS", "30,35,35"))
# Inbound appeals from the WeChat account / one-to-one butler (docs/appeals.md): the gateway signs each POST
# with this shared secret; without it the endpoint answers 404. Messages whose category cannot be told from
# their words go to the fallback category.
WECHAT_INBOUND_SECRET = env("WECHAT_INBOUND_SECRET")
# A caller's "not resolved / not satisfied" reopens the appeal this many times at most; after that the verdict
# is recorded as given and the appeal closed out (it counts against the rates instead).
APPEALS_MAX_REOPENS = int(env("APPEALS_MAX_REOPENS", "2"))
APPEALS_FALLBACK_CATEGORY = env("APPEALS_FALLBACK_CATEGORY", "C02")
# Bench-only URLs (the one-row baseline beside intake, docs/performance.md): never on in production.
BENCH_ENDPOINTS = env_bool("BENCH_ENDPOINTS", False)

# --- proactive governance (docs/insights.md): the fewest appeals of one place and category in a month that
# make a candidate, the fewest calls that make a repeat caller, and how often the current month's rollup is
# recomputed.
INSIGHTS_MIN_COUNT = int(env("INSIGHTS_MIN_COUNT", "5"))
INSIGHTS_REPEAT_MIN = int(env("INSIGHTS_REPEAT_MIN", "3"))
INSIGHTS_REFRESH_MINUTES = int(env("INSIGHTS_REFRESH_MINUTES", "60"))

# --- care visits (未呼先应): working days after a visit falls due before the household's 包户 party member
# is reminded, and between each further step up the chain (docs/mobilise.md).
CARE_VISIT_GRACE_DAYS = int(env("CARE_VISIT_GRACE_DAYS", "2"))

# --- email (notifications arrive in later issues; console in the demo) ------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "minhu@localhost")

# --- Open311 GeoReport v2 at /open311/v2/ (docs/open311.md): the jurisdiction_id this endpoint answers to
# (a request may omit it; one naming another jurisdiction gets 404), and the contact its discovery shows.
OPEN311_JURISDICTION_ID = env("OPEN311_JURISDICTION", "minhu")
OPEN311_CONTACT = env("OPEN311_CONTACT", DEFAULT_FROM_EMAIL)

# --- JSON API at /api/v1/ (docs/api.md): requests allowed per client in a window, as "count/period"
# (s, min, h, day). Public calls count by address, token calls by token. Counts are kept in the "throttle"
# cache: a directory under DATA_DIR, so that every server process counts against the same limit.
API_RATE_PUBLIC = env("API_RATE_PUBLIC", "60/min")
API_RATE_TOKEN = env("API_RATE_TOKEN", "600/min")
# Open311 calls that carry a valid api_key count against that client's own limit instead of the public one.
OPEN311_RATE_CLIENT = env("OPEN311_RATE_CLIENT", "600/min")
NINJA_PAGINATION_MAX_LIMIT = 100
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": (
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
        if TESTING
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache" / "throttle"),
        }
    ),
}

# --- logging -----------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

SITE_NAME = _("Minhu")
