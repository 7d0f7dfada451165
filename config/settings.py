"""Strata's settings: every value that differs between machines comes from the environment."""
from __future__ import annotations

import base64
import hashlib
import os
import secrets
import time
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Outside DEBUG a missing key is an error, never a silent public default: sessions and the
# encryption of stored tokens depend on it.
SECRET_FILE = Path(env("STRATA_SECRET_FILE", str(BASE_DIR / ".secret_key")))


def _local_secret(path: Path) -> str:
    """A random secret made once and kept in `path` (mode 0600), shared by every process here.

    Never a value from the repository: without SECRET_KEY in the environment, the web server and
    the workers of one machine agree on this file's key. Several machines must set SECRET_KEY.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it this very moment
            if value := path.read_text().strip():
                return value
            time.sleep(0.02)
        raise ImproperlyConfigured(f"{path} is empty: delete it or set SECRET_KEY.") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY") or _local_secret(SECRET_FILE)
SECRET_KEY_FROM_FILE = not env("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
# The port the app serves on when run locally (`make demo`); PUBLIC_URL follows it unless set.
STRATA_PORT = int(env("STRATA_PORT", "8000"))
PUBLIC_URL = env("PUBLIC_URL", f"http://127.0.0.1:{STRATA_PORT}").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", PUBLIC_URL)

BITBUCKET_WEB_URL = env("BITBUCKET_WEB_URL", "https://bitbucket.org").rstrip("/")
BITBUCKET_API_URL = env("BITBUCKET_API_URL", "https://api.bitbucket.org").rstrip("/")
BITBUCKET_OAUTH_KEY = env("BITBUCKET_OAUTH_KEY")
BITBUCKET_OAUTH_SECRET = env("BITBUCKET_OAUTH_SECRET")
# Seconds to wait for Bitbucket before a request counts as timed out.
BITBUCKET_TIMEOUT = float(env("BITBUCKET_TIMEOUT", "20"))
# Attempts per request before a 429/5xx/time-out becomes an error, and the first back-off (s).
BITBUCKET_MAX_ATTEMPTS = int(env("BITBUCKET_MAX_ATTEMPTS", "5"))
BITBUCKET_BACKOFF = float(env("BITBUCKET_BACKOFF", "1.0"))
# Refresh an OAuth access token this many seconds before it expires.
BITBUCKET_REFRESH_MARGIN = int(env("BITBUCKET_REFRESH_MARGIN", "300"))


def _derived_fernet_key(secret: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(("strata-fields:" + secret).encode()).digest()).decode()


# Comma-separated Fernet keys; the first encrypts, all decrypt (rotation). Without them a key is
# derived from SECRET_KEY; production sets its own so that rotating one does not rotate the other.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS") or [_derived_fernet_key(SECRET_KEY)]

REDIS_URL = env("REDIS_URL")

# Caps of a repository archive read into a knowledge layer (bytes unless named otherwise).
INGEST_MAX_FILE_BYTES = int(env("INGEST_MAX_FILE_BYTES", str(1024 * 1024)))  # content indexed per file
INGEST_MAX_ARCHIVE_BYTES = int(env("INGEST_MAX_ARCHIVE_BYTES", str(1024**3)))  # uncompressed
INGEST_MAX_COMPRESSED_BYTES = int(env("INGEST_MAX_COMPRESSED_BYTES", str(512 * 1024**2)))
INGEST_MAX_FILES = int(env("INGEST_MAX_FILES", "100000"))
# A push is applied file by file (diffstat, then `src` for each changed file) unless it changed more
# than INCREMENTAL_MAX_FILES files (0 switches incremental refresh off) or more than this share of
# the layer's files: then the whole archive is read, which costs less past that point.
INCREMENTAL_MAX_FILES = int(env("INCREMENTAL_MAX_FILES", "500"))
INCREMENTAL_MAX_SHARE = float(env("INCREMENTAL_MAX_SHARE", "0.2"))
# A build beats every LAYER_HEARTBEAT_SECONDS while it runs; one silent for LAYER_STALL_SECONDS
# lost its worker (killed, restarted) and is failed by the sweep, which runs every minute.
LAYER_HEARTBEAT_SECONDS = int(env("LAYER_HEARTBEAT_SECONDS", "30"))
LAYER_STALL_SECONDS = int(env("LAYER_STALL_SECONDS", "180"))
# A build writes what it has read (and its progress, files_done) at least this often, so the
# layer page counts up during a build of fewer files than a batch.
LAYER_PROGRESS_SECONDS = float(env("LAYER_PROGRESS_SECONDS", "1"))
# Helper processes a build parses symbols in (0: in the worker itself); started only for
# repositories with more than a megabyte of source.
INGEST_PARSE_PROCESSES = int(env("INGEST_PARSE_PROCESSES", "1"))
# Rows per DELETE statement when a workspace or connection is disconnected.
DELETION_CHUNK_SIZE = int(env("DELETION_CHUNK_SIZE", "10000"))
# One deletion job deletes at most DELETION_STEP_CHUNKS chunks or runs DELETION_STEP_SECONDS, then
# queues the next step, so no job comes near Q_TIMEOUT however large the organization. A running
# deletion touches its row after every chunk; one silent for DELETION_STALL_SECONDS is taken for
# dead and queued again by the sweep (every minute).
DELETION_STEP_CHUNKS = int(env("DELETION_STEP_CHUNKS", "1000"))
DELETION_STEP_SECONDS = int(env("DELETION_STEP_SECONDS", "120"))
DELETION_STALL_SECONDS = int(env("DELETION_STALL_SECONDS", "120"))
# A hook Bitbucket would not let us remove on disconnect is tried again after each of these delays
# (seconds; the last one repeats), for HOOK_REMOVAL_GIVE_UP_DAYS, then given up with the reason.
HOOK_REMOVAL_DELAYS = [int(delay) for delay in env_list("HOOK_REMOVAL_DELAYS", "60,300,1800,3600")]
HOOK_REMOVAL_GIVE_UP_DAYS = int(env("HOOK_REMOVAL_GIVE_UP_DAYS", "7"))
# Webhook deliveries: a handler that fails is tried again after each of these delays (seconds),
# then marked failed; one taken by a worker, or queued, that long without finishing is taken for
# lost and queued again by the sweep (every minute). Finished deliveries are deleted after
# WEBHOOK_RETENTION_DAYS (0 keeps them).
WEBHOOK_RETRY_DELAYS = [int(delay) for delay in env_list("WEBHOOK_RETRY_DELAYS", "60,300,1800")]
WEBHOOK_STALL_SECONDS = int(env("WEBHOOK_STALL_SECONDS", "600"))
WEBHOOK_RETENTION_DAYS = int(env("WEBHOOK_RETENTION_DAYS", "30"))

INSTALLED_APPS = [
    # First, so that its `createsuperuser` (asks for the e-mail sign-in uses) replaces auth's.
    "core",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.mfa",
    "integrations.bitbucket_provider",
    "django_htmx",
    "django_q",
    "csp",
    "integrations",
    "knowledge",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Jobs and web requests write at the same time; wait for the lock instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", False)
# Production runs `collectstatic` into STATIC_ROOT with STATIC_MANIFEST=1; elsewhere files are
# served straight from the app folders.
STATIC_ROOT = BASE_DIR / "staticfiles" if STATIC_MANIFEST else None
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/knowledge/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_ALLOW_SIGNUP = env_bool("ACCOUNT_ALLOW_SIGNUP", True)
ACCOUNT_USER_DISPLAY = "core.users.user_display"  # "Signed in as ada@example.com", not the derived username
ACCOUNT_ADAPTER = "integrations.adapters.AccountAdapter"
ACCOUNT_FORMS = {"add_email": "core.forms.StrictAddEmailForm"}
SOCIALACCOUNT_ADAPTER = "integrations.adapters.SocialAccountAdapter"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_PROVIDERS = {
    "bitbucket": {
        "APP": {"client_id": BITBUCKET_OAUTH_KEY, "secret": BITBUCKET_OAUTH_SECRET},
        # Bitbucket Cloud has no PKCE; `state` is checked by allauth.
        "OAUTH_PKCE_ENABLED": False,
    }
}
# Two-factor sign-in: an authenticator app (TOTP) with recovery codes, set up from the profile.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", "Strata")
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "strata@localhost")

SESSION_COOKIE_SECURE = PUBLIC_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind a TLS-terminating proxy, name the header it sets (usually X-Forwarded-Proto): requests
# then count as https, so OAuth callbacks and absolute links are built with https://. Only set it
# when the proxy always sets (and overwrites) that header, or clients could claim https.
TLS_PROXY_HEADER = env("TLS_PROXY_HEADER")
if TLS_PROXY_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + TLS_PROXY_HEADER.upper().replace("-", "_"), "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP

# Content-Security-Policy: our own scripts only, no frames, no remote images (a README's absolute
# image would otherwise be fetched from its host by whoever reads the layer: a tracking pixel).
# Inline style attributes stay allowed (bars and indents); rendered docs never carry any (nh3).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],  # and BITBUCKET_WEB_URL: core.middleware adds it
    }
}

# One cache shared by every web and worker process, so rate limits (sign-in throttling) hold
# across gunicorn workers and machines: Redis when configured, else a table in the database.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "strata_cache"}}

# django-q2: the ORM broker by default, Redis when REDIS_URL is set. `timeout` must stay below
# `retry`, or a slow task is handed to a second worker while the first still runs it.
Q_CLUSTER = {
    "name": env("Q_CLUSTER_NAME", "strata"),
    "workers": int(env("Q_WORKERS", "2")),
    "timeout": int(env("Q_TIMEOUT", "1800")),
    "retry": int(env("Q_RETRY", "1860")),
    "max_attempts": int(env("Q_MAX_ATTEMPTS", "3")),
    "queue_limit": 50,
    "save_limit": 1000,
    "catch_up": False,
    "poll": float(env("Q_POLL", "0.5")),
    "sync": env_bool("Q_SYNC", False),
    "label": "Jobs",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
