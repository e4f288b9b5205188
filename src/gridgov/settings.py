"""Settings read from the environment (twelve-factor), with a working local default.

GRIDGOV_ENV=production turns on the strict checks: SECRET_KEY must be given, cookies are secure,
and `gridgov check --deploy` must pass.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

SRC_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("GRIDGOV_HOME", SRC_DIR.parent.parent)).resolve()
VAR_DIR = Path(os.environ.get("GRIDGOV_VAR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

ENV = os.environ.get("GRIDGOV_ENV", "local")
PRODUCTION = ENV == "production"


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when GRIDGOV_ENV=production")
    # Generated once per checkout so sessions survive restarts of the local demo.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("GRIDGOV_DEBUG", "0") == "1" and not PRODUCTION
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "gridgov.core",
    "gridgov.geo",
    "gridgov.accounts",
    "gridgov.sla",
    "gridgov.cases",
    "gridgov.web",
    "django_tasks",
    "django_tasks_db",
    "gridgov.notify",
    "gridgov.stats",
    "gridgov.dashboards",
    "gridgov.reports",
    "gridgov.registry",
    "gridgov.bulk",
    "gridgov.field",
    "gridgov.portal",
    "gridgov.open311",
]

# Background work (docs/worker.md): Django's tasks API, rows in this database, run by
# `gridgov worker`. A Redis or RabbitMQ backend is the scale-out path, not needed to start.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("GRIDGOV_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridgov.core.sessions.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "gridgov.web.context.site",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DEFAULT_SQLITE = f"sqlite:///{VAR_DIR / 'gridgov.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL", DEFAULT_SQLITE), conn_max_age=60)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while the worker writes; IMMEDIATE takes the write lock
        # at BEGIN so two writers queue instead of failing with "database is locked" mid-way.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=10000; PRAGMA cache_size=-64000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("GRIDGOV_TEST_SQLITE") or None
else:
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("GRIDGOV_TEST_DB") or None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "gridgov.accounts.passwords.CharacterClassValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout: after 5 failures for one username from one address, an hour's wait.
AXES_FAILURE_LIMIT = int(os.environ.get("GRIDGOV_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("GRIDGOV_LOCKOUT_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Behind N reverse proxies the client is the N-th address from the right of X-Forwarded-For;
# 0 means no proxy (the socket's address). The audit log uses the same rule (core/audit.py).
PROXY_COUNT = int(os.environ.get("GRIDGOV_PROXY_COUNT", "0"))
AXES_IPWARE_PROXY_COUNT = PROXY_COUNT or None
AXES_IPWARE_PROXY_ORDER = "right-most"
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if PROXY_COUNT else ["REMOTE_ADDR"]
)

# Idle sessions expire: a shared command-centre PC must not stay logged in overnight.
SESSION_COOKIE_AGE = int(os.environ.get("GRIDGOV_SESSION_SECONDS", str(8 * 3600)))
SESSION_SAVE_EVERY_REQUEST = False  # core/sessions.py refreshes it at most once a minute
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("GRIDGOV_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = int(os.environ.get("GRIDGOV_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- i18n and time --------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing


def _xstatic_dirs() -> list[tuple[str, str]]:
    # Front-end libraries come from PyPI packages at build time (never a CDN): the platform runs
    # on closed government networks.
    import xstatic.pkg.leaflet

    dirs = [("vendor/leaflet", xstatic.pkg.leaflet.BASE_DIR)]
    # npm packages, installed at build time by dev.py from package-lock.json (no CDN either).
    node = BASE_DIR / "node_modules"
    for prefix, sub in (("vendor/echarts", "echarts/dist"), ("vendor/idb-keyval", "idb-keyval/dist")):
        if (node / sub).is_dir():
            dirs.append((prefix, str(node / sub)))
    return dirs


STATICFILES_DIRS = _xstatic_dirs()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = VAR_DIR / "media"

# --- the product ----------------------------------------------------------------------------
GRIDGOV = {
    # A tile server on the deployment's own network, e.g. "http://tiles.gov.local/{z}/{x}/{y}.png".
    # Empty: the map draws only our polygons, which needs no tiles at all.
    "TILE_URL": os.environ.get("GRIDGOV_TILE_URL", ""),
    "TILE_ATTRIBUTION": os.environ.get("GRIDGOV_TILE_ATTRIBUTION", ""),
    "SITE_NAME": os.environ.get("GRIDGOV_SITE_NAME", "市域社会治理平台"),
    "LOCATE_MAX_POINTS": 100_000,
    # 三色管控: an open case turns yellow when this share of its time is used.
    "YELLOW_SHARE": float(os.environ.get("GRIDGOV_YELLOW_SHARE", "0.8")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRIDGOV_LOG_LEVEL", "WARNING")},
    "loggers": {"gridgov": {"level": os.environ.get("GRIDGOV_LOG_LEVEL", "INFO")}},
}
