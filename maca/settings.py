"""MACA settings: one module, configured by environment variables.

Every value a deployment must choose is read from the environment here; a missing required value
stops the process at start with a message naming the variable.
"""

import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}."
    )


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None
    if value < minimum or (maximum is not None and value > maximum):
        within = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
        raise ImproperlyConfigured(f"{name} must be {within}; got {raw!r}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "string (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"  # noqa: S105
# Earlier keys, still accepted while sessions, password reset links and invitations signed with
# them run out: a new SECRET_KEY with the old one here signs nobody out.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Says what happened and gives back what was typed, rather than Django's bare page.
CSRF_FAILURE_VIEW = "maca.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "simple_history",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "maca",
    "cases",
    "findings",
    "actions",
    "learning",
    "documents",  # above the others: it makes their long PDFs in the background
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "maca.middleware.AnsweredMethodsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "maca.middleware.NoStoreMiddleware",
    "maca.middleware.SessionIdleRefreshMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "maca.middleware.SignInRequiredMiddleware",
    "maca.mfa.MFARequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "maca.middleware.AccessLogMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "maca.middleware.HtmxMessagesMiddleware",
    "maca.middleware.ErrorTitleMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "maca.urls"

# MACA's own templates are Jinja2, read by Django's rules (maca/jinja.py); the admin's and
# crispy-forms' templates stay in Django's language.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "maca.jinja.environment",
            "extensions": ["cases.jinja.CasesExtension", "actions.jinja.ActionsExtension"],
            "keep_trailing_newline": True,
            "auto_reload": DEBUG,
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "maca.context_processors.navigation",
                "actions.context_processors.navigation",
            ],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the apps' own: MACA's few changes to crispy-forms' templates.
        "DIRS": [BASE_DIR / "maca" / "django_templates"],
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

WSGI_APPLICATION = "maca.wsgi.application"


def database(url: str) -> dict:
    try:
        return dj_database_url.parse(
            url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    except ValueError as error:
        raise ImproperlyConfigured(
            "DATABASE_URL must look like postgres://USER:PASSWORD@HOST:PORT/NAME (or "
            f"sqlite:////path/to/file.sqlite3): {error}"
        ) from None


DATABASES = {
    "default": database(os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite, the embedded default, as several processes share it: readers never wait for a
    # writer (write-ahead log), every commit still reaches the disk before it is acknowledged,
    # and a transaction takes the write lock as it begins, so that two that read then write wait
    # their turn instead of one failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# Caches hold query results and fragments only, never a whole response, and only after the access
# gate. Local memory by default; CACHE_URL (redis://host:port/db) shares one Redis between servers.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("CACHE_URL must be a redis://, rediss:// or unix:// URL.")
# Keys start with CACHE_KEY_PREFIX, so that installations sharing one Redis keep their sign-in
# and password-reset counters apart.
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "maca")
if not re.fullmatch(r"[A-Za-z0-9_.-]{1,50}", CACHE_KEY_PREFIX):
    raise ImproperlyConfigured(
        "CACHE_KEY_PREFIX must be 1 to 50 letters, digits, dots, dashes or underscores."
    )
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
    | {"KEY_PREFIX": CACHE_KEY_PREFIX}
}

AUTH_USER_MODEL = "maca.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout after repeated failed sign-ins, by user name whether or not the account exists, so a
# lockout reveals nothing. Every failure is recorded (django-axes' access attempts and failures).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = (
    env_int("LOGIN_LOCKOUT_MINUTES", 30, minimum=1, maximum=7 * 24 * 60) / 60
)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]  # see maca.signin
AXES_HANDLER = "maca.signin.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "maca.signin.lockout_address"
LOGIN_FAILURE_LIMIT_PER_NAME = env_int("LOGIN_FAILURE_LIMIT_PER_NAME", 4 * AXES_FAILURE_LIMIT)
if min(AXES_FAILURE_LIMIT, LOGIN_FAILURE_LIMIT_PER_NAME) < 1:
    raise ImproperlyConfigured(
        "LOGIN_FAILURE_LIMIT and LOGIN_FAILURE_LIMIT_PER_NAME must be at least 1."
    )
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_USERNAME_CALLABLE = "maca.signin.axes_username"  # a user name cut to what axes stores
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Two-step sign-in (maca/mfa.py): required for staff, superusers and chairs (and everyone with
# MFA_REQUIRED_FOR_ALL) when MFA_ENFORCED, which is on unless DEBUG. Anyone may set it up, and
# whoever has is always asked for a code.
MFA_ENFORCED = env_bool("MFA_ENFORCED", not DEBUG)
MFA_REQUIRED_FOR_ALL = env_bool("MFA_REQUIRED_FOR_ALL", False)
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "j F Y"

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Static files come from the app folders directly in development and tests, and from the
# collected, fingerprinted copy (manage.py collectstatic) in production.
STATIC_FROM_FINDERS = env_bool("STATIC_FROM_FINDERS", DEBUG)
WHITENOISE_USE_FINDERS = STATIC_FROM_FINDERS
# Uploaded files: the local folder MEDIA_ROOT, or with STORAGE_URL an S3-compatible object store,
# s3://BUCKET[/PREFIX]?endpoint_url=https://...&region=...&encryption=AES256|aws:kms, credentials
# from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Either way files leave only through
# access-checked views: objects are private and MACA never hands out their URLs.
STORAGE_URL = os.environ.get("STORAGE_URL", "")


def file_storage(url: str) -> dict:
    if not url:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ImproperlyConfigured("STORAGE_URL must look like s3://bucket[/prefix]?options.")
    query = dict(parse_qsl(parts.query))
    unknown = set(query) - {"endpoint_url", "region", "encryption", "addressing_style"}
    if unknown:
        raise ImproperlyConfigured(
            f"STORAGE_URL has unknown options: {', '.join(sorted(unknown))}."
        )
    from boto3.s3.transfer import TransferConfig

    encryption = query.get("encryption", "AES256")
    if encryption not in ("AES256", "aws:kms", "none"):
        raise ImproperlyConfigured("STORAGE_URL's encryption must be AES256, aws:kms or none.")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": parts.netloc,
            "location": parts.path.strip("/"),
            "endpoint_url": query.get("endpoint_url"),
            "region_name": query.get("region"),
            "addressing_style": query.get("addressing_style"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            # Uploads are far below S3's 5 GB limit for one PUT, which streams from the spooled
            # file; multipart uploads would hold each part in memory.
            "transfer_config": TransferConfig(multipart_threshold=4 * 1024**3, use_threads=False),
            "object_parameters": (
                {} if encryption == "none" else {"ServerSideEncryption": encryption}
            ),
        },
    }


STORAGES = {
    "default": file_storage(STORAGE_URL),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if STATIC_FROM_FINDERS
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded case material is never served from a public URL: MEDIA_ROOT sits outside the static
# tree and there is deliberately no MEDIA_URL route; files go out through access-checked views.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30, minimum=5, maximum=24 * 60) * 60
# Idle expiry slides forward while a session is used, rewritten at most once a minute
# (maca.middleware.SessionIdleRefreshMiddleware) rather than on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = 60
X_FRAME_OPTIONS = "DENY"
# No inline scripts or styles anywhere: scripts and stylesheets come from our own static files.
# data: images are Bootstrap's own SVG icons (menu button, select arrows).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer's health checks go to each server directly, over plain http; they show no data.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading HSTS commits the whole parent domain (often a council's) to HTTPS for good: that is the
# domain owner's decision, so it is a setting rather than a deployment check to satisfy.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Lockout is never by address alone: a council's staff often share one address, and locking it
# would shut out everyone there. It is by user name at one address, and by user name from every
# address at a higher limit (maca.signin.LockoutHandler).
SILENCED_SYSTEM_CHECKS.append("axes.W006")
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The reverse proxies in front of MACA (nginx on the same machine: 127.0.0.1): the address of a
# request they pass on is the one they add to X-Forwarded-For (maca/addresses.py). Empty, the
# connecting address is taken, which behind a proxy is the proxy's.


def env_addresses(name: str) -> frozenset[str]:
    addresses = set()
    for part in env_list(name, []):
        try:
            addresses.add(str(ipaddress.ip_address(part)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses, separated by commas; got {part!r}."
            ) from None
    return frozenset(addresses)


TRUSTED_PROXIES = env_addresses("TRUSTED_PROXIES")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# A mail server that stops answering fails the send (tried again later) rather than holding a
# worker, and the email's row, for as long as the connection stays open.
EMAIL_TIMEOUT = 10
# With EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend: the folder emails go to.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH") or None
# Links in emails (invitations, reminders) need the site's address: no request is at hand.
# Without it, a real installation would send links to a computer's own address, which work for
# nobody who receives them.
SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/")


def checked_site_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ImproperlyConfigured(
            f"SITE_URL must be the site's whole address, starting https://; got {url!r}."
        )
    if parts.scheme == "http" and SECURE_SSL_REDIRECT:
        raise ImproperlyConfigured(
            "SITE_URL must start https:// while every request is sent on to https "
            f"(SECURE_SSL_REDIRECT, on unless DEBUG); got {url!r}."
        )
    if parts.path or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"SITE_URL must be the site's address alone, with no path, such as "
            f"https://maca.example.org; got {url!r}."
        )
    return url


if SITE_URL:
    SITE_URL = checked_site_url(SITE_URL)
elif not DEBUG:
    raise ImproperlyConfigured(
        "SITE_URL is not set. Set the SITE_URL environment variable to the address people "
        "reach MACA at, such as https://maca.example.org: the links in its emails are made "
        "from it."
    )
else:
    SITE_URL = "http://127.0.0.1:8000"
# The names MACA answers to: by default the one in SITE_URL (any other is answered 400).
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [urlsplit(SITE_URL).hostname]
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "maca@localhost")

# Uploads (chronologies, evidence): identified from their content, limited in size, streamed to
# disk rather than held in memory, and kept under MEDIA_ROOT with random names.
MACA_UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_MB", 20, minimum=1, maximum=1024) * 1024 * 1024
# A partnership's logo (PNG or JPEG) heads its pages and every document: kept small.
MACA_LOGO_MAX_BYTES = env_int("LOGO_MAX_KB", 512, minimum=1, maximum=10 * 1024) * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
# A form's words (files aside): an audit tool of many questions, each answered at length in
# letters that take nine bytes as a browser sends them, passes Django's 2.5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "maca.upload_handlers.SizeLimitUploadHandler",  # drops what is past MACA_UPLOAD_MAX_BYTES
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Uploads larger than FILE_UPLOAD_MAX_MEMORY_SIZE are spooled here while they arrive: MACA's own
# folder, not the system's shared one, so that what a killed worker left behind is found and
# removed when MACA next starts (maca.upload_handlers.prepare_upload_temp_dir).
FILE_UPLOAD_TEMP_DIR = Path(os.environ.get("UPLOAD_TEMP_DIR", MEDIA_ROOT.parent / "upload-tmp"))

# Background work (long PDFs). "immediate" runs each job at once, in the request that asked for
# it, so nothing else need run; "database" queues jobs in the database for `manage.py db_worker`.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate")
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
if TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}, not {TASKS_BACKEND!r}."
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}

# An action is amber when due within this many days (or flagged at risk), red when overdue.
MACA_RAG_AMBER_DAYS = env_int("RAG_AMBER_DAYS", 14, maximum=3650)

# Case-level data of a closed audit is deleted this many years after closing (enforce_retention),
# unless the audit is under legal hold. The briefing and the action plan are kept.
MACA_RETENTION_YEARS = env_int("RETENTION_YEARS", 6, minimum=1, maximum=100)

# Deadline reminders: days before the submission deadline, and after it, that send_reminders mails.
MACA_REMINDER_DAYS_BEFORE = env_int("REMINDER_DAYS_BEFORE", 7, maximum=365)
MACA_REMINDER_DAYS_AFTER = env_int("REMINDER_DAYS_AFTER", 1, maximum=365)
# Action plan reminders: days before an open action's due date that its lead and owner agency's
# co-ordinators are emailed (and again once it is overdue).
MACA_ACTION_REMINDER_DAYS_BEFORE = env_int("ACTION_REMINDER_DAYS_BEFORE", 14, maximum=365)

# Agencies that have recorded no use of a published briefing this many weeks after it was first
# published are shown to the chair and reminded by send_reminders.
MACA_USAGE_REMINDER_WEEKS = env_int("USAGE_REMINDER_WEEKS", 8, minimum=1, maximum=520)

# An invitation to join a partnership (emailed from an audit's Members page) can be accepted for
# this many days.
MACA_INVITATION_DAYS = env_int("INVITATION_DAYS", 14, minimum=1, maximum=365)

# The partnership an imported package joins when it names none.
MACA_DEFAULT_PARTNERSHIP = os.environ.get(
    "MACA_DEFAULT_PARTNERSHIP", "Safeguarding Children Partnership"
)

# LOG_FORMAT=json writes one JSON object a line to standard error, for log collectors.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["asctime", "levelname", "name", "message"],
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
    },
}
