"""Django settings, read from environment variables only.

Every variable is documented in docs/configuration.md. The defaults run the demo on a
bare machine: SQLite under ./var, no Redis, background tasks inline.
"""

import datetime as dt
import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("JEJAK_VAR_DIR", Path.cwd() / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The fallback key is for a laptop running the demo; `jejak check --deploy` flags it.
SECRET_KEY = env_str("SECRET_KEY", "jejak-insecure-development-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The public base URL printed inside every QR code. A phone camera opens it, so it must be
# the address citizens reach, with https in production.
# Empty: the address each request came to (core/public_url.py), which is right on a
# laptop and wrong behind a proxy; `jejak check --deploy` asks for it.
JEJAK_PUBLIC_URL = env_str("JEJAK_PUBLIC_URL").rstrip("/")
# Keys that encrypt secrets stored in the database (signing keys today, NIK and phone
# later): comma-separated, the first encrypts, all decrypt, so a key can be rotated.
JEJAK_DATA_KEYS = env_list("JEJAK_DATA_KEYS")
# The key of the keyed hashes that let encrypted NIK and phone numbers be looked up. Set it
# once: changing it means recomputing every index (see docs/configuration.md).
JEJAK_INDEX_KEY = env_str("JEJAK_INDEX_KEY")
# How long a code shown on a venue's screen stays valid, and how often the screen renews it.
JEJAK_DYNAMIC_QR_SECONDS = env_int("JEJAK_DYNAMIC_QR_SECONDS", 180)
# Check-in requests one account may send per minute (a family's scan is one request).
JEJAK_CHECKINS_PER_MINUTE = env_int("JEJAK_CHECKINS_PER_MINUTE", 10)
# Check-ins decided together by each server process's batcher (checkins/batcher.py):
# fewer statements and commits per check-in under load. Off, each is decided alone.
JEJAK_CHECKIN_BATCHING = env_bool("JEJAK_CHECKIN_BATCHING", True)
# Threads per server process that run Django's requests (jejak/asgi.py).
JEJAK_WSGI_THREADS = env_int("JEJAK_WSGI_THREADS", 16)
# Manual check-ins (NIK, name, birth date typed by venue staff) per staff account per minute.
JEJAK_MANUAL_CHECKINS_PER_MINUTE = env_int("JEJAK_MANUAL_CHECKINS_PER_MINUTE", 10)
# How far (metres, after subtracting the device's accuracy) a scan may be from the venue.
JEJAK_CHECKIN_MAX_DISTANCE_M = env_int("JEJAK_CHECKIN_MAX_DISTANCE_M", 1000)
# Where NIKs are verified (docs/identity.md): registry_file (the resident table that
# `jejak import-registry` fills; the default and the demo's) or http (a Dukcapil-style
# service over mutual TLS: URL, timeout in seconds, client certificate and key, and the CA
# bundle that signs the service's certificate; empty: the system's CAs).
JEJAK_IDENTITY_BACKEND = env_str("JEJAK_IDENTITY_BACKEND", "registry_file")
JEJAK_IDENTITY_HTTP_URL = env_str("JEJAK_IDENTITY_HTTP_URL")
JEJAK_IDENTITY_HTTP_TIMEOUT = env_int("JEJAK_IDENTITY_HTTP_TIMEOUT", 5)
JEJAK_IDENTITY_HTTP_CLIENT_CERT = env_str("JEJAK_IDENTITY_HTTP_CLIENT_CERT")
JEJAK_IDENTITY_HTTP_CLIENT_KEY = env_str("JEJAK_IDENTITY_HTTP_CLIENT_KEY")
JEJAK_IDENTITY_HTTP_CA = env_str("JEJAK_IDENTITY_HTTP_CA")
# How visitors' sign-in codes reach their phones: console (printed, for development), file
# (one file per message under JEJAK_SMS_DIR, read back by tests and the demo) or http (a
# gateway; see docs/configuration.md).
JEJAK_SMS_BACKEND = env_str("JEJAK_SMS_BACKEND", "console")
JEJAK_SMS_DIR = Path(env_str("JEJAK_SMS_DIR", str(VAR_DIR / "sms")))
JEJAK_SMS_HTTP_URL = env_str("JEJAK_SMS_HTTP_URL")
JEJAK_SMS_HTTP_TOKEN = env_str("JEJAK_SMS_HTTP_TOKEN")
JEJAK_SMS_HTTP_TIMEOUT = env_int("JEJAK_SMS_HTTP_TIMEOUT", 5)
JEJAK_SMS_HTTP_RETRIES = env_int("JEJAK_SMS_HTTP_RETRIES", 2)
# Sign-in codes one client address may request per hour. Generous because thousands of
# phones can share one address behind a mobile carrier's NAT.
JEJAK_OTP_PER_ADDRESS_PER_HOUR = env_int("JEJAK_OTP_PER_ADDRESS_PER_HOUR", 20)
# Wrong sign-in codes one client address may give within 15 minutes, whatever the numbers
# (accounts/otp.py); then it may try none for 15 minutes.
JEJAK_OTP_WRONG_CODES_PER_ADDRESS = env_int("JEJAK_OTP_WRONG_CODES_PER_ADDRESS", 20)
# The dashboards' map: a tile server URL template ({z}/{x}/{y}) and its attribution. Empty:
# no tiles (and no traffic to a third party); the venues still show on a plain background.
JEJAK_MAP_TILE_URL = env_str("JEJAK_MAP_TILE_URL")
JEJAK_MAP_TILE_ATTRIBUTION = env_str("JEJAK_MAP_TILE_ATTRIBUTION")
# The notification outbox: attempts per message before it is given up (with exponential
# backoff between them), see docs/notifications.md.
JEJAK_NOTIFY_MAX_ATTEMPTS = env_int("JEJAK_NOTIFY_MAX_ATTEMPTS", 6)
# Messages per second (/s) or minute (/m) the outbox hands each gateway, keyed by channel,
# e.g. "sms=50/s,email=600/m"; unnamed channels keep their defaults (sms=50/s,
# email=20/s, inapp=unlimited). Parsed and checked by notifications/rates.py and checks.py.
JEJAK_NOTIFY_RATES = env_str("JEJAK_NOTIFY_RATES")
# Days check-ins are kept for tracing before `jejak run-periodic` deletes them (3 weeks, as
# PeduliLindungi did).
JEJAK_CHECKIN_RETENTION_DAYS = env_int("JEJAK_CHECKIN_RETENTION_DAYS", 21)
# A black-status alert not notified this many seconds after its check-in (its task was
# lost: a crash, a deploy) is notified by `jejak run-periodic` (docs/notifications.md).
JEJAK_BLACK_ALERT_SWEEP_SECONDS = env_int("JEJAK_BLACK_ALERT_SWEEP_SECONDS", 30)
# Sent (or given-up) outbox messages: exposure notices are health data too.
JEJAK_MESSAGE_RETENTION_DAYS = env_int("JEJAK_MESSAGE_RETENTION_DAYS", 31)
# Retention of the other classes of personal data, in days (docs/retention.md gives each
# default's reason and the norms behind it; `jejak run-periodic` enforces them and
# `jejak purge --dry-run` counts what would go).
# Sign-in codes and idle sign-in guards: the limits count a day of codes (at least 1).
JEJAK_OTP_RETENTION_DAYS = env_int("JEJAK_OTP_RETENTION_DAYS", 1)
# Staff sign-in attempts (django-axes: user name, address): a month to look into an attack.
JEJAK_LOGIN_ATTEMPT_RETENTION_DAYS = env_int("JEJAK_LOGIN_ATTEMPT_RETENTION_DAYS", 30)
# API tokens after they were revoked or expired: a partner can still ask why one stopped.
JEJAK_API_TOKEN_RETENTION_DAYS = env_int("JEJAK_API_TOKEN_RETENTION_DAYS", 30)
# Refused NIK claims and identity checks: the NIK's owner sees them and may report them,
# officers correcting an identity read them (at least 1: the daily caps count them).
JEJAK_CLAIM_ATTEMPT_RETENTION_DAYS = env_int("JEJAK_CLAIM_ATTEMPT_RETENTION_DAYS", 90)
# Dependant requests after the officer's decision (pending ones wait): time to ask why.
JEJAK_DEPENDANT_REQUEST_RETENTION_DAYS = env_int("JEJAK_DEPENDANT_REQUEST_RETENTION_DAYS", 90)
# Copies of doses, lab results, travel quarantines and exemptions after their date, and
# longer while a colour may still read them (doses for as long as rule sets count doses).
# The shipped rules look back 90 days ("recovered"); Jejak is not the medical record.
JEJAK_HEALTH_RECORD_RETENTION_DAYS = env_int("JEJAK_HEALTH_RECORD_RETENTION_DAYS", 90)
# Positive-case and close-contact designations after their start, as health records.
JEJAK_DESIGNATION_RETENTION_DAYS = env_int("JEJAK_DESIGNATION_RETENTION_DAYS", 90)
# Status passes after they expired: the day of the guard's scan.
JEJAK_STATUS_PASS_RETENTION_DAYS = env_int("JEJAK_STATUS_PASS_RETENTION_DAYS", 1)
# A citizen's copy of their data (docs/rights.md): a JSON export answered at once up to
# this many rows; larger ones, and every PDF, are built by a background task.
JEJAK_EXPORT_INLINE_ROWS = env_int("JEJAK_EXPORT_INLINE_ROWS", 2000)
# Hours a built export may be downloaded; then `jejak run-periodic` deletes it.
JEJAK_EXPORT_LINK_HOURS = env_int("JEJAK_EXPORT_LINK_HOURS", 24)
# Venue staff roster entries after they ended: the inspections' look at recent weeks.
JEJAK_ROSTER_RETENTION_DAYS = env_int("JEJAK_ROSTER_RETENTION_DAYS", 90)
# The people told of a breach, after the breach was closed: the proof of the notices
# (UU 27/2022 Art. 46) the authority may ask for; as long as the audit log.
JEJAK_BREACH_RETENTION_DAYS = env_int("JEJAK_BREACH_RETENTION_DAYS", 730)
# Completed account closures (blind indexes only): the proof a request was answered.
JEJAK_ERASURE_REQUEST_RETENTION_DAYS = env_int("JEJAK_ERASURE_REQUEST_RETENTION_DAYS", 730)
# Closed tracing cases with their contacts, after closing (open ones stay): the 90 days in
# which a new positive of the same person is the same illness.
JEJAK_CASE_RETENTION_DAYS = env_int("JEJAK_CASE_RETENTION_DAYS", 90)
# Exposure sites after their window ended (never under the 14 days /paparan/ lists them):
# the three weeks of the check-ins visitors compare them with.
JEJAK_EXPOSURE_SITE_RETENTION_DAYS = env_int("JEJAK_EXPOSURE_SITE_RETENTION_DAYS", 21)
# Cluster alerts after an officer handled them (unhandled ones stay), as their cases.
JEJAK_CLUSTER_RETENTION_DAYS = env_int("JEJAK_CLUSTER_RETENTION_DAYS", 90)
# Audit rows, then folded into daily counts per action: two years, for "who read my data"
# asked late and a breach found months after it began.
JEJAK_AUDIT_RETENTION_DAYS = env_int("JEJAK_AUDIT_RETENTION_DAYS", 730)
# Closed accounts' erasures, one JSON line each, kept outside the database (and its
# backups) so a restore replays them before serving: `jejak replay-erasures` (docs/erasure.md).
JEJAK_ERASURE_LOG = Path(env_str("JEJAK_ERASURE_LOG", str(VAR_DIR / "erasure-log.jsonl")))
# Contact tracing (docs/tracing.md): the tracing profile (its slug, latest version) that
# new cases are traced with unless an officer chooses another (`jejak
# load-tracing-profile`); this many cases at one venue within the sector's period raise
# a cluster alert.
JEJAK_TRACE_PROFILE = env_str("JEJAK_TRACE_PROFILE", "covid-19")
JEJAK_CLUSTER_CASES = env_int("JEJAK_CLUSTER_CASES", 3)
# A health import with more new positive results than this is traced by a mass run in the
# background (cases opened, searched, contacts designated by the profile's policy and
# told); at or below it the cases are only opened (docs/tracing.md, "Mass events").
JEJAK_MASS_TRACE_MIN = env_int("JEJAK_MASS_TRACE_MIN", 50)
# A mass run is cut into this many tasks, traced side by side by as many task workers
# (run that many `jejak db_worker` processes); the last to finish sends the messages.
JEJAK_MASS_TRACE_WORKERS = env_int("JEJAK_MASS_TRACE_WORKERS", 1)
# A running mass run silent this long lost its worker: the periodic runner resumes it from
# its last checkpoint (its counters are written every 25 cases, seconds apart).
JEJAK_MASS_TRACE_STALL_MINUTES = env_int("JEJAK_MASS_TRACE_STALL_MINUTES", 10)
# The privacy notice at /privasi/ (accounts/privacy.py, docs/privacy.md): its version (a
# new one asks every visitor to accept again) and the date it takes effect, the
# controller who answers for the data, and its data protection officer (UU 27/2022
# Art. 53). The defaults are the demo's; `jejak check --deploy` flags them.
JEJAK_PRIVACY_NOTICE_VERSION = env_str("JEJAK_PRIVACY_NOTICE_VERSION", "1.0")
JEJAK_PRIVACY_NOTICE_DATE = env_str("JEJAK_PRIVACY_NOTICE_DATE", "2024-10-17")
JEJAK_CONTROLLER_NAME = env_str("JEJAK_CONTROLLER_NAME", "Pemerintah Kota Tangerang (demo)")
JEJAK_DPO_NAME = env_str("JEJAK_DPO_NAME", "Pejabat Pelindungan Data Pribadi (demo)")
JEJAK_DPO_EMAIL = env_str("JEJAK_DPO_EMAIL", "dpo@jejak.example")
JEJAK_DPO_PHONE = env_str("JEJAK_DPO_PHONE", "(021) 000-0000")
# E-mail of the outbox; the console backend prints messages, for a laptop.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Jejak <jejak@localhost>")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    # The database task backend's tables and its worker (`jejak db_worker`), used when
    # JEJAK_TASK_BACKEND is django_tasks_db.DatabaseBackend (docs/notifications.md).
    "django_tasks_db",
    # Password sign-in throttling and lockout (django-axes) and staff second factors
    # (django-otp: TOTP apps and one-time backup codes), see docs/security.md.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    # OAuth 2.0 for partner apps (docs/partners.md): its models and views, configured
    # by OAUTH2_PROVIDER below.
    "oauth2_provider",
    "jejak.core",
    "jejak.accounts",
    "jejak.audit",
    "jejak.regions",
    "jejak.sectors",
    "jejak.venues",
    "jejak.qrcodes",
    "jejak.posters",
    "jejak.identity",
    "jejak.people",
    "jejak.health",
    "jejak.screening",
    "jejak.rosters",
    "jejak.checkins",
    "jejak.visits",
    "jejak.ppkm",
    "jejak.notifications",
    "jejak.console",
    "jejak.tracing",
    "jejak.zones",
    "jejak.followups",
    "jejak.inspections",
    "jejak.reports",
    "jejak.demo",
    "jejak.dashboards",
    "jejak.breaches",
    "jejak.erasure",
    "jejak.rights",
    "jejak.partners",
]
# The benchmarks' commands (`make bench*`); production may leave them out.
# A visitor's bearer token lapses after this many days without use (each use extends it).
JEJAK_TOKEN_IDLE_DAYS = env_int("JEJAK_TOKEN_IDLE_DAYS", 90)
JEJAK_DEVTOOLS = env_bool("JEJAK_DEVTOOLS", True)
if JEJAK_DEVTOOLS:
    INSTALLED_APPS.append("jejak.devtools")

MIDDLEWARE = [
    # First, so that every log line of a request carries its id; then its timing, around
    # everything else (docs/operations.md).
    "jejak.core.request_id.RequestIdMiddleware",
    "jejak.core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jejak.core.middleware.LanguageMiddleware",
    # After the language (its refusals are translated), before everything that reads input.
    "jejak.core.middleware.InputGuardMiddleware",
    "jejak.core.middleware.DatabaseOutageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff sessions' idle and absolute limits, then the second-factor requirement.
    "jejak.accounts.middleware.StaffSessionMiddleware",
    "jejak.accounts.middleware.SecondFactorMiddleware",
    # Visitors who have not accepted the current privacy notice are asked to first.
    "jejak.accounts.middleware.PrivacyNoticeMiddleware",
    # A visitor's language kept on the account, for what is sent to them later.
    "jejak.accounts.middleware.VisitorLanguageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Counts each partner call by its answer (docs/partners.md, "Usage").
    "jejak.partners.middleware.PartnerUsageMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jejak.urls"
WSGI_APPLICATION = "jejak.wsgi.application"

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
                "jejak.accounts.context_processors.capabilities",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        # An empty DATABASE_URL (a blanked variable) means the default, not an error.
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'jejak.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo's readers and one writer work at once; the timeout rides out
    # short write bursts instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
JEJAK_DB_PREPARED_STATEMENTS = env_bool("JEJAK_DB_PREPARED_STATEMENTS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The ORM's cursors bind on the client and never prepare; the check-in path's own
    # statements (core/sql.py) ask to be prepared, which needs a threshold set.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["prepare_threshold"] = 5
    # A database host that stops answering (rather than refusing) must cost a request a
    # few seconds and a 503, not the minutes of a TCP timeout.
    options["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 3)
    if JEJAK_DB_PREPARED_STATEMENTS:
        # Plan those prepared statements once. Left to choose, PostgreSQL kept
        # re-planning the ones that take a list (`= ANY(%s)`) on every call, which cost
        # more than running them (0.2-0.5 ms a statement). The ORM's statements are not
        # prepared, but the foreign-key checks' plans, which PostgreSQL caches per
        # connection, are generic too: made for the tables as they were, and made again
        # only when a table's statistics change (a mass tracing run plans its own afresh,
        # tracing/mass.py's _atomic).
        options["options"] = (
            options.get("options", "") + " -c plan_cache_mode=force_generic_plan"
        ).strip()
# Read replicas (docs/operations.md, "Read replicas"): PostgreSQL streaming standbys of
# DATABASE_URL, comma-separated, as aliases replica1, replica2 ... The dashboards, the
# weekly report, their exports and the contact search's check-in reads use one whose
# lag is at most JEJAK_REPLICA_MAX_LAG_SECONDS (core/replicas.py), else the primary;
# every write and every other read uses the primary. Tests have no replica: the aliases
# stand for the test database (MIRROR).
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    _replica = dj_database_url.parse(
        _url,
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    if _replica["ENGINE"] == DATABASES["default"]["ENGINE"]:
        # The same connect timeout and statement planning; the URL's own options win.
        _replica["OPTIONS"] = {
            **DATABASES["default"].get("OPTIONS", {}),
            **_replica.get("OPTIONS", {}),
        }
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{_number}"] = _replica
JEJAK_REPLICA_MAX_LAG_SECONDS = env_int("JEJAK_REPLICA_MAX_LAG_SECONDS", 5)
DATABASE_ROUTERS = ["jejak.core.replicas.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The covering index of check-ins (checkins.models) includes columns for PostgreSQL's
# index-only scans; SQLite, the laptop database, builds it without them, as intended.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

REDIS_URL = env_str("REDIS_URL")


def redis_cache(url: str) -> dict[str, Any]:
    """Redis is optional and only caches: while it is down, a cache read is a miss and a
    write is skipped (logged), within a fifth of a second, and nothing answers 500."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "jejak",
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 0.2,
            "SOCKET_TIMEOUT": 0.2,
        },
    }


# An ignored Redis error is still logged (django_redis.cache), so an outage shows.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# With no worker configured, tasks run inline in the request that enqueued them.
TASKS = {
    "default": {
        "BACKEND": env_str(
            "JEJAK_TASK_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"
        ),
        # "tracing": mass tracing runs (tracing/tasks.py), for workers of their own
        # (`jejak db_worker --queue-name tracing`), so that a city's worst day never
        # holds up the outbox's sends, nor they the tracing.
        "QUEUES": ["default", "tracing"],
    }
}

AUTH_USER_MODEL = "accounts.User"
# django-axes sees every password sign-in (the staff form and the admin's) first.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Wrong passwords: JEJAK_LOGIN_FAILURE_LIMIT for one account (from anywhere) or from one
# client address (any account) lock that account or address out for
# JEJAK_LOGIN_LOCKOUT_MINUTES; the right password then works again. Counted in the
# database, so across processes and hosts.
AXES_FAILURE_LIMIT = env_int("JEJAK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("JEJAK_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# The address is REMOTE_ADDR: behind nginx, gunicorn sets it from X-Forwarded-For only
# for JEJAK_TRUSTED_PROXIES (jejak serve --forwarded-allow-ips).
AXES_CLIENT_IP_CALLABLE = "jejak.accounts.otp.client_address"
# Successful sign-ins are in the audit log already; axes keeps only the failures.
AXES_DISABLE_ACCESS_LOG = True
# Staff whose role reads personal data beyond one venue must confirm a second factor
# (TOTP) after their password; venue managers and staff too when this is on.
JEJAK_SECOND_FACTOR_FOR_VENUE_ROLES = env_bool("JEJAK_SECOND_FACTOR_FOR_VENUE_ROLES", False)
# DEMO ONLY: staff sign in with a password alone, so `make run`'s demo accounts work
# without enrolling a phone. `jejak check --deploy` reports it as an error.
JEJAK_DEMO_SKIP_SECOND_FACTOR = env_bool("JEJAK_DEMO_SKIP_SECOND_FACTOR", False)
OTP_TOTP_ISSUER = env_str("JEJAK_TOTP_ISSUER", "Jejak")
# Staff sessions end after this long without a request, and this long after signing in
# whatever happens; visitors' sessions keep Django's two weeks (their phones).
JEJAK_STAFF_SESSION_IDLE_MINUTES = env_int("JEJAK_STAFF_SESSION_IDLE_MINUTES", 30)
JEJAK_STAFF_SESSION_MAX_HOURS = env_int("JEJAK_STAFF_SESSION_MAX_HOURS", 12)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"

# Partner apps on OAuth 2.0 (docs/partners.md). The key of the pairwise identifiers
# partners know people by: set it once (changing it renames everyone for every partner).
# Empty: derived from SECRET_KEY (the demo; `jejak check --deploy` asks for it).
JEJAK_PAIRWISE_KEY = env_str("JEJAK_PAIRWISE_KEY")
JEJAK_PARTNER_ACCESS_TOKEN_SECONDS = env_int("JEJAK_PARTNER_ACCESS_TOKEN_SECONDS", 3600)
# A refresh token is replaced at each use: a partner unused this long is disconnected.
JEJAK_PARTNER_REFRESH_TOKEN_DAYS = env_int("JEJAK_PARTNER_REFRESH_TOKEN_DAYS", 90)
# Calls one partner may make for one citizen per minute (each partner's own total is
# set per partner, `jejak partner add --rate`).
JEJAK_PARTNER_USER_RATE = env_int("JEJAK_PARTNER_USER_RATE", 60)
# Redirect URI schemes partners may register: https, plus a native app's own scheme
# (RFC 8252) or http for a partner tested on a laptop.
JEJAK_PARTNER_REDIRECT_SCHEMES = env_list("JEJAK_PARTNER_REDIRECT_SCHEMES", "https")
# The library's own application model (named, so migrations can depend on it).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "SCOPES_BACKEND_CLASS": "jejak.partners.scopes.PartnerScopes",
    "OAUTH2_VALIDATOR_CLASS": "jejak.partners.validator.PartnerValidator",
    # Mandatory in the library's settings; the scopes backend names and labels them.
    "SCOPES": {"checkin": "checkin", "status:read": "status:read", "history:read": "history:read"},
    "DEFAULT_SCOPES": [],
    "PKCE_REQUIRED": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": JEJAK_PARTNER_ACCESS_TOKEN_SECONDS,
    "REFRESH_TOKEN_EXPIRE_SECONDS": JEJAK_PARTNER_REFRESH_TOKEN_DAYS * 86400,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # Every authorization asks the citizen; no application skips the consent page.
    "REQUEST_APPROVAL_PROMPT": "force",
    "ALLOWED_REDIRECT_URI_SCHEMES": JEJAK_PARTNER_REDIRECT_SCHEMES,
    "ALLOWED_SCHEMES": JEJAK_PARTNER_REDIRECT_SCHEMES,
    "ALLOW_URI_WILDCARDS": False,
    "OIDC_ISS_ENDPOINT": JEJAK_PUBLIC_URL,
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ],
    # RFC 9700's recommendations, all enforced: no implicit or password grant, PKCE S256
    # only, tokens never in a query string, `iss` in the authorization response, only
    # tokens' hashes stored, refresh-token replay revokes the family.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Jakarta"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
# Front-end libraries come from the npm registry (package.json, `make setup` runs
# `npm ci`); only their distribution folders are served, under static/vendor/.
NODE_MODULES = BASE_DIR.parent.parent / "node_modules"
VENDOR_STATIC = {
    "jsqr": "jsqr/dist",
    "leaflet": "leaflet/dist",
    "swagger-ui": "swagger-ui-dist",
}
STATICFILES_DIRS: list[Any] = [BASE_DIR / "static"] + [
    (f"vendor/{name}", NODE_MODULES / folder)
    for name, folder in VENDOR_STATIC.items()
    if (NODE_MODULES / folder).is_dir()
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# https in production: JEJAK_PUBLIC_URL starting with https:// turns every protection
# below on; each can still be set on its own (docs/configuration.md, "Security").
HTTPS = JEJAK_PUBLIC_URL.startswith("https://")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
# A load balancer probes, and Prometheus scrapes each node, over plain http inside the
# network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# nginx in front says whether the client's connection was https (BEHIND_PROXY=true);
# which proxies may also say who the client is: JEJAK_TRUSTED_PROXIES (jejak serve).
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
JEJAK_TRUSTED_PROXIES = env_str("JEJAK_TRUSTED_PROXIES", "127.0.0.1")


def map_tile_origin(template: str) -> list[str]:
    """The scheme and host of the map's tile server, which the CSP must let images from."""
    from urllib.parse import urlsplit

    parts = urlsplit(template.replace("{s}", "a"))
    if not parts.scheme or not parts.netloc:
        return []
    host = parts.netloc.replace("a.", "*.", 1) if "{s}" in template else parts.netloc
    return [f"{parts.scheme}://{host}"]


# Content Security Policy (django-csp): scripts and styles from this site only, inline
# scripts only with the request's nonce, no plugins, no framing, forms post here only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *map_tile_origin(JEJAK_MAP_TILE_URL)],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# GET /metrics for Prometheus (docs/operations.md, "Metrics"): off (404) unless a bearer
# token or client networks (comma-separated addresses or CIDRs, e.g. 10.0.0.0/8) are set;
# with both, a scrape needs both.
JEJAK_METRICS_TOKEN = env_str("JEJAK_METRICS_TOKEN")
JEJAK_METRICS_NETWORKS = env_list("JEJAK_METRICS_NETWORKS")
if JEJAK_METRICS_TOKEN or JEJAK_METRICS_NETWORKS:
    # prometheus-client's multiprocess mode, for every process of this node (the server's
    # workers, the task workers, the periodic runner): each writes its counts to files
    # here and a scrape adds them up (core/metrics_files.py). One folder per node. Read
    # by prometheus-client when first imported, which is after the settings.
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(VAR_DIR / "metrics")
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

# Log lines as text (Django's) or, with JEJAK_LOG_FORMAT=json, one JSON object per line
# with the request's id (core/json_logs.py, docs/operations.md, "Logs").
JEJAK_LOG_FORMAT = env_str("JEJAK_LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client_errors_in_one_line": {"()": "jejak.core.log_filters.ClientErrorsInOneLine"},
        "request_id": {"()": "jejak.core.request_id.RequestIdFilter"},
    },
    "formatters": {"json": {"()": "jejak.core.json_logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            **({"formatter": "json"} if JEJAK_LOG_FORMAT == "json" else {}),
        }
    },
    "loggers": {"django.request": {"filters": ["client_errors_in_one_line"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

VAR_DIR.mkdir(parents=True, exist_ok=True)
