"""Settings for thotnot_members.

Everything that differs between a developer's machine and production is read from the
environment, with safe development defaults (see README "Deployment"). No secret is committed:
production refuses to start without DJANGO_SECRET_KEY.
"""

import os
import tomllib
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Off unless asked for with "true" or "1" (`make run` asks): a server started by hand must never
# show Django's debug pages or run on the development key.
DEBUG = os.environ.get("DJANGO_DEBUG", "").strip().lower() in {"true", "1"}
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-used-in-production"

ALLOWED_HOSTS = [
    h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "health_check",
    "branches",
    "members",
    "reports",
    "pages",
    "devdata",
    "onboarding",
    "accounts",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A request ID for every request (the X-Request-ID header, the logs, the error page) and
    # the access log's line (thotnot_members/middleware.py).
    "thotnot_members.middleware.RequestIdMiddleware",
    # Serves the collected static files (compressed, cached forever by hashed name) under
    # gunicorn; runserver keeps serving them itself in development.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "thotnot_members.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The second factor (issue 30): django-otp marks the user verified; ours sends an editor
    # who is not yet verified to the code (or enrolment) page, the admin included.
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    # Cache-Control: private, no-store on every signed-in response; the admin's reads logged.
    "members.middleware.PersonalDataMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A view that fails because SQLite's write lock is held (a roster's commit) shows the
    # "busy" page, not the server error page (thotnot_members/busy.py).
    "thotnot_members.busy.BusyDatabaseMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "thotnot_members.urls"

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
                "branches.context_processors.roles",
                "branches.context_processors.office",
                "accounts.context_processors.second_factor",
                "pages.menu.menu",
            ],
        },
    },
]

WSGI_APPLICATION = "thotnot_members.wsgi.application"

# Background work (checking and writing uploaded rosters) goes through django-tasks. The
# database backend queues it in the database for `python manage.py db_worker`, which `make run`
# and `make serve` start; DJANGO_TASKS=immediate runs each task inside the request that asks
# for it (the tests do so).
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS = {"default": {"BACKEND": TASK_BACKENDS[os.environ.get("DJANGO_TASKS", "database")]}}

# The worker (manage.py run_worker, members/worker.py) writes its heartbeat every
# WORKER_HEARTBEAT_SECONDS; with none newer than WORKER_HEARTBEAT_STALE_SECONDS (and no import or
# export being worked on) /health/ and the waiting pages say it is down. A task refused for a
# busy database is tried again for up to WORKER_BUSY_RETRY_SECONDS.
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "10"))
WORKER_HEARTBEAT_STALE_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_STALE_SECONDS", "60"))
WORKER_BUSY_RETRY_SECONDS = float(os.environ.get("WORKER_BUSY_RETRY_SECONDS", "300"))
WORKER_IS_UP = "members.worker.is_up"  # read by /health/ (thotnot_members/health.py)

# A roster export (/members/export/<code>.xlsx) of at most this many records is written within
# the request (20,000 take ~20 s, well within a request's time limit: gunicorn's --timeout, 300
# s under `make serve`, and the reverse proxy's); a larger one is prepared by the worker and
# downloaded from its page.
ROSTER_EXPORT_INLINE_MAX = int(os.environ.get("ROSTER_EXPORT_INLINE_MAX", "20000"))

# The office that runs the app (issue 29): its name in the footer and the admin's header, the
# organization in the page titles, and the letterhead of the official documents: the committee
# printed above the tree's root (which the tree does not hold, e.g. "ĐẢNG BỘ THÀNH PHỐ CẦN
# THƠ"), and the place written before the date (derived from the units' names when empty).
# Names are data, shown as written, in every interface language.
OFFICE_NAME = os.environ.get("OFFICE_NAME", "Ban Tổ chức Quận ủy Thốt Nốt").strip()
OFFICE_ORGANIZATION = os.environ.get("OFFICE_ORGANIZATION", "Đảng bộ Thốt Nốt").strip()
LETTERHEAD_SUPERIOR = os.environ.get("LETTERHEAD_SUPERIOR", "").strip()
LETTERHEAD_PLACE = os.environ.get("LETTERHEAD_PLACE", "").strip()

# An uploaded roster is judged by what it unpacks to (members/roster/bounds.py), before it is
# read: the parts' uncompressed sizes (together and each), the compression ratio of parts over
# 1 MiB, the cells in a row (and the dimension's last column), the rows of a sheet and the
# characters of one cell or shared string. A real roster of 100,000 members unpacks to ~60 MB.
ROSTER_UPLOAD_UNPACKED_MAX = int(os.environ.get("ROSTER_UPLOAD_UNPACKED_MAX", str(300 * 1024**2)))
ROSTER_UPLOAD_PART_MAX = int(os.environ.get("ROSTER_UPLOAD_PART_MAX", str(200 * 1024**2)))
ROSTER_UPLOAD_RATIO_MAX = int(os.environ.get("ROSTER_UPLOAD_RATIO_MAX", "100"))
ROSTER_UPLOAD_COLUMNS_MAX = int(os.environ.get("ROSTER_UPLOAD_COLUMNS_MAX", "500"))
ROSTER_UPLOAD_ROWS_MAX = int(os.environ.get("ROSTER_UPLOAD_ROWS_MAX", "200000"))
ROSTER_UPLOAD_CELL_CHARS_MAX = int(os.environ.get("ROSTER_UPLOAD_CELL_CHARS_MAX", "5000"))

# SQLite is the embedded default; PostgreSQL is selected with DATABASE_URL
# (e.g. postgres://user:pass@127.0.0.1:5432/thotnot).
conn_max_age = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=conn_max_age,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Write-ahead log: a report reads in one transaction (thotnot_members/snapshot.py), which in
    # SQLite's default journal would hold back every commit until it ends (a 150,000-member
    # city's report workbook: ~11 s, against a 5 s wait before "database is locked"); in WAL
    # mode readers and the writer do not wait for each other. (A no-op in memory.)
    # Every transaction begins IMMEDIATE, holding the write lock from its start: a service reads
    # the member's state and then writes, and in a deferred transaction a commit by another
    # clerk in between made that write fail at once ("database is locked"); now the other
    # writer waits for the lock (the timeout, 5 s). Reports begin theirs deferred (snapshot.py).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        init_command="PRAGMA journal_mode=WAL", transaction_mode="IMMEDIATE"
    )

# Report reads (pages, PDFs, workbooks, directive28_report) on a read replica when
# DATABASE_REPLICA_URL is set; every other read and all writes stay on default
# (thotnot_members/replica.py). Under test the alias is a mirror: the test database of default,
# through a connection of its own. (A lower-case name: not a setting, so the debug page never
# shows the URL's password.)
replica_url = os.environ.get("DATABASE_REPLICA_URL", "")
if replica_url:
    DATABASES["replica"] = dj_database_url.parse(
        replica_url, conn_max_age=conn_max_age, test_options={"MIRROR": "default"}
    )
REPORTS_DATABASE = "replica" if replica_url else "default"
DATABASE_ROUTERS = ["thotnot_members.replica.ReportReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes checks the lockout first. It needs the request, so tests sign in with
# client.force_login(user), or client.login(request=HttpRequest(), username=..., password=...).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Argon2 first: new passwords are hashed with it, and a password stored under an older hasher
# (PBKDF2) is re-hashed with Argon2 at its next successful sign-in (Django does so for any hasher
# that is not the first).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# The second factor (TOTP, with one-time recovery codes; accounts/). Required of every user who
# may write or export more than a cell (board, grassroots office, superusers); optional for cell
# secretaries and leaders. Production (DEBUG off) always requires it: turning it off there
# refuses to start. A development server (DJANGO_DEBUG=true, `make run`) has it off unless
# DJANGO_OTP_REQUIRED=true, and every page then says so in a banner, so the demo accounts work
# with their password alone.
OTP_REQUIRED = env_bool("DJANGO_OTP_REQUIRED", not DEBUG)
if not DEBUG and not OTP_REQUIRED:
    raise RuntimeError("DJANGO_OTP_REQUIRED cannot be off when DJANGO_DEBUG is off.")
OTP_TOTP_ISSUER = "Thốt Nốt"
# How many recovery codes an enrolment gives (each works once).
OTP_RECOVERY_CODES = 10

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Vietnamese first, English available. Dates are shown dd/mm/yyyy in both (formats/ overrides).
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["thotnot_members.formats"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Covering indexes (INCLUDE) serve PostgreSQL; SQLite ignores the extra columns, which is fine
# at a district's size.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Security -------------------------------------------------------------------------------

# Sign-in throttling (django-axes): 5 failed sign-ins for one username from one address lock
# that pair out for 15 minutes, and so do 5 failures from one address whatever the usernames
# (48 tries over 12 usernames were never slowed); a successful sign-in clears the count.
# Attempts are kept in the database, so every app server sees the same count.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
# The client's address: REMOTE_ADDR, unless the request came from one of the trusted reverse
# proxies (DJANGO_TRUSTED_PROXIES, comma-separated addresses); then the last X-Forwarded-For
# entry that is not itself a trusted proxy. A header from anyone else is ignored, so a client
# cannot pick the address it is throttled (or locks others out) under.
TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("DJANGO_TRUSTED_PROXIES", "").split(",") if p.strip()
]
AXES_CLIENT_IP_CALLABLE = "thotnot_members.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_RESET_ON_SUCCESS = True

# Sessions live in the database (the default backend), so app servers keep no state. A session
# ends when the browser closes, and in any case 8 hours (a working day) after it was last saved.
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie (forms carry the token); set everywhere, not only in
# production, so a script that tried would fail on a developer's machine first.
CSRF_COOKIE_HTTPONLY = True

# Headers that cost nothing over plain HTTP are sent everywhere.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): every asset ships with the app, no inline script or
# style. Django's own debug error pages (DEBUG only) are exempt.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

if not DEBUG:
    # Behind a reverse proxy that ends TLS and sets X-Forwarded-Proto (it must overwrite any
    # value the client sent).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    # Off unless set: an intranet name is not for the browsers' public preload list, and its
    # sibling hosts (other offices' services) may not all speak HTTPS.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
    # check --deploy warns while either is off; off is the right choice for an intranet name,
    # so those two warnings are silenced (setting either on makes its warning moot anyway).
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W005", "security.W021"]

    # Static files with hashed names and pre-compressed copies, served by WhiteNoise; needs
    # `collectstatic` first (make serve runs it). Development and tests keep the plain storage,
    # so they need no manifest.
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

# Logs (issue 29): one format for every line, the time with its offset and the request's ID
# (thotnot_members/middleware.py), to stderr for the process manager's journal; nothing is
# mailed. Warnings and errors (server errors, refused hosts, lockouts) at DJANGO_LOG_LEVEL;
# the access log (one line per request, DJANGO_ACCESS_LOG) and the worker at INFO.
LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL", "WARNING").upper()
ACCESS_LOG = env_bool("DJANGO_ACCESS_LOG", True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "thotnot_members.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "()": "thotnot_members.middleware.LocalTimeFormatter",
            "format": "{asctime} {levelname} [{request_id}] {name}: {message}",
            "style": "{",
        },
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        "thotnot.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "members.worker": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "django_tasks": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "django_tasks_db": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}

# Error reports (optional): to the office's own Sentry-compatible service (Sentry, GlitchTip)
# when SENTRY_DSN is set, never otherwise: there is no default host. No personal data: no
# cookies, user or address (send_default_pii off), no request body (a form holds a member's
# record), no tracing; each report is tagged with the request ID of the error page.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk

    def _tag_request_id(event, hint):
        from thotnot_members.middleware import current_request_id

        event.setdefault("tags", {})["request_id"] = current_request_id()
        return event

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=0.0,
        before_send=_tag_request_id,
    )

# The app's version (pyproject.toml), written into each encrypted backup: restore refuses a
# backup of a newer version than the code.
with open(BASE_DIR / "pyproject.toml", "rb") as _pyproject:
    APP_VERSION = tomllib.load(_pyproject)["project"]["version"]

# Backups (manage.py backup, thotnot-backup.timer): encrypted with the key in
# DJANGO_BACKUP_KEY_FILE (made once by `manage.py backup --make-key FILE`; keep a copy apart
# from the backups: without it they cannot be restored), and in a backup folder only the
# DJANGO_BACKUP_KEEP newest are kept.
BACKUP_KEY_FILE = os.environ.get("DJANGO_BACKUP_KEY_FILE", "")
BACKUP_KEEP = int(os.environ.get("DJANGO_BACKUP_KEEP", "14"))
