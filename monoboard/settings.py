"""monoboard settings: one file, driven by the environment.

With no environment at all this boots stage 1: a SQLite file under ``var/``,
a generated secret key kept beside it, email written to files. Every variable
is listed in docs/configuration.md. Bad values are reported by
``manage.py check`` (see monoboard/ops/checks.py), not by a traceback here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils.csp import CSP

from monoboard.lib.database import database_from_env, pool_mode, replica_databases
from monoboard.lib.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_str,
)
from monoboard.lib.secret import load_or_create_secret_key
from monoboard.lib.siteurl import listening_site_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("MONOBOARD_DATA_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)
#: Whether SECRET_KEY came from the environment; a key generated into this
#: machine's data folder cannot be shared by instances on other machines.
SECRET_KEY_FROM_ENV = bool(env_str("SECRET_KEY"))
SECRET_KEY = env_str("SECRET_KEY") or load_or_create_secret_key(DATA_DIR / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
#: The public address in emailed links; unset, where `serve` listens (it sets
#: SITE_URL for its children from --host/--port), else HOST/PORT.
SITE_URL = (
    env_str("SITE_URL")
    or listening_site_url(env_str("HOST", "127.0.0.1"), env_int("PORT", 8000, minimum=1))
).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",  # intcomma for large counts in pages
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "monoboard.core",
    "monoboard.accounts",
    "monoboard.boards",
    "monoboard.ops",
    "monoboard.realtime",
    "django_tasks_db",
    "monoboard.jobs",
    "monoboard.notifications",
    "monoboard.search",
    "monoboard.similar",
    "ninja",  # serves the API docs page's Swagger UI from its bundled static files
    "monoboard.api",
    "monoboard.webhooks",
    "monoboard.imports",
    "monoboard.changelog",
    "monoboard.identity",
    "monoboard.sso",
    "monoboard.backup",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "monoboard.ops.security.ContentSecurityPolicyMiddleware",
    "monoboard.ops.metrics.middleware.MetricsMiddleware",
    # Outside the session and CSRF middleware: it sees the cookies they set.
    "monoboard.pagecache.edge.PersonalResponsesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Stage 4: opens the per-request read context the replica router uses (a
    # no-op without replicas); inside the session middleware so that the commit
    # position it keeps in the session is saved.
    "monoboard.replicas.middleware.ReadYourWritesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "monoboard.accounts.middleware.FirstRunMiddleware",
    # Redirect single sign-on: visitors without a session go to the customer's login.
    "monoboard.sso.middleware.RedirectSSOMiddleware",
]

ROOT_URLCONF = "monoboard.urls"
WSGI_APPLICATION = "monoboard.wsgi.application"
ASGI_APPLICATION = "monoboard.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "monoboard" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "monoboard.boards.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
DATABASES: dict[str, dict[str, Any]] = {"default": database_from_env(DATABASE_URL, DATA_DIR)}
#: How connections are pooled: "sqlite", "psycopg", "pgbouncer" or "none" (from DB_POOL).
DB_POOL = pool_mode(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Database: stage 2 (PostgreSQL, pooling) -----------------------------------
# A direct PostgreSQL URL (not through PgBouncer) for LISTEN/NOTIFY and other
# session state; monoboard.lib.database.direct_conninfo() builds connections.
DATABASE_DIRECT_URL = env_str("DATABASE_DIRECT_URL") or DATABASE_URL
# Processes outside the web server that each hold database connections, for
# the connection budget check (docs/scaling.md): LISTEN sessions (the events
# process and each jobs worker hold one on PostgreSQL) and workers.
DB_LISTENER_CONNECTIONS = env_int("DB_LISTENER_CONNECTIONS", 2, minimum=0)
DB_WORKER_CONNECTIONS = env_int("DB_WORKER_CONNECTIONS", 1, minimum=0)

# --- Database: stage 4 (read replicas, docs/scaling.md) -------------------------
# PostgreSQL streaming replicas, comma-separated; they become the aliases
# replica1, replica2... Page and API reads of board content go to one that is
# up, within REPLICA_MAX_LAG_MS and caught up with the client's own last write
# (monoboard/replicas/); everything else stays on the primary.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS")
DATABASES.update(replica_databases(DATABASE_REPLICA_URLS, primary=DATABASES["default"]))
#: A replica further behind than this (milliseconds) serves nobody until it catches up.
REPLICA_MAX_LAG_MS = env_int("REPLICA_MAX_LAG_MS", 1000, minimum=0)
#: How often each process re-measures each replica (position, lag, up or down).
REPLICA_CHECK_INTERVAL_S = env_float("REPLICA_CHECK_INTERVAL_S", 1.0, minimum=0.05)
#: How long a replica may take to connect or answer that check before it counts as down.
REPLICA_CONNECT_TIMEOUT_S = env_float("REPLICA_CONNECT_TIMEOUT_S", 1.0, minimum=0.1)
#: 0 sends every read to the primary while keeping the replicas configured
#: (to rule them out, or while one is rebuilt).
REPLICA_READS = env_bool("REPLICA_READS", True)
DATABASE_ROUTERS = ["monoboard.replicas.router.ReplicaRouter"] if DATABASE_REPLICA_URLS else []

# --- Accounts -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:signin"
LOGIN_REDIRECT_URL = "boards:home"
LOGOUT_REDIRECT_URL = "boards:home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 3600, minimum=60)
SIGNUP_OPEN = env_bool("SIGNUP_OPEN", True)
# Sign-in throttle (accounts): refuse an email or client address after this
# many failures within the window (seconds). Counts live in CACHES["throttle"]
# (the database cache), shared by every process and instance on the database.
SIGNIN_MAX_FAILURES = env_int("SIGNIN_MAX_FAILURES", 10, minimum=1)
SIGNIN_FAILURE_WINDOW = env_int("SIGNIN_FAILURE_WINDOW", 15 * 60, minimum=1)
# Passwordless sign-in (identity): an emailed link and code, valid this long.
PASSWORDLESS_SIGNIN = env_bool("PASSWORDLESS_SIGNIN", True)
PASSWORDLESS_TTL = env_int("PASSWORDLESS_TTL", 10 * 60, minimum=60)
# OAuth2 / OpenID Connect providers configured by environment (identity/providers.py);
# admins add more on /settings/sign-in/.
SIGNIN_PROVIDERS: dict[str, dict[str, str]] = {
    slug: {
        "client_id": env_str(f"{prefix}_CLIENT_ID"),
        "client_secret": env_str(f"{prefix}_CLIENT_SECRET"),
        "issuer": env_str(f"{prefix}_{base}"),
        "name": env_str(f"{prefix}_NAME"),
    }
    for slug, prefix, base in (
        ("github", "GITHUB", "URL"),
        ("google", "GOOGLE", "ISSUER"),
        ("gitlab", "GITLAB", "URL"),
        ("oidc", "OIDC", "ISSUER"),
    )
    if env_str(f"{prefix}_CLIENT_ID")
}

# --- Sessions and security --------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# A failed form token shows the friendly 403 page (boards pages).
CSRF_FAILURE_VIEW = "monoboard.boards.views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (docs/security.md): scripts only from this site or
# with the page's nonce ({{ csp_nonce }}), never inline handlers or eval.
# Inline style attributes stay allowed: status and tag colours use them.
# monoboard.ops.security adds the event stream's origin to connect-src.
SECURE_CSP: dict[str, Any] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# HSTS: browsers only honour it over TLS and SecurityMiddleware only sends it
# on secure requests; it is off unless HTTPS=1.
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000, minimum=0) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
#: Stage 3+: requests arrive through a reverse proxy (nginx) that sets the
#: X-Forwarded-* headers. Only connections from TRUSTED_PROXIES are believed
#: about the client's address (lib/client_ip.py).
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
TRUSTED_PROXIES = env_networks(
    "TRUSTED_PROXIES", ["127.0.0.1/32", "::1/128"] if BEHIND_PROXY else []
)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# --- Email ----------------------------------------------------------------
EMAIL_MODE = env_choice("EMAIL_MODE", "file", ("file", "console", "smtp"))
_EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
_MAILER_BY_MODE: dict[str, dict[str, Any]] = {
    "file": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": str(DATA_DIR / "mail")},
    },
    "console": {"BACKEND": "django.core.mail.backends.console.EmailBackend"},
    "smtp": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env_str("EMAIL_HOST", "localhost"),
            "port": _EMAIL_PORT,
            "username": env_str("EMAIL_HOST_USER") or None,
            "password": env_str("EMAIL_HOST_PASSWORD") or None,
            "use_tls": env_bool("EMAIL_USE_TLS", _EMAIL_PORT == 587),
            "use_ssl": env_bool("EMAIL_USE_SSL", _EMAIL_PORT == 465),
            "timeout": env_int("EMAIL_TIMEOUT", 10, minimum=1),
        },
    },
}
MAILERS = {"default": _MAILER_BY_MODE[EMAIL_MODE]}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "monoboard <noreply@localhost>")

# --- Cache ----------------------------------------------------------------
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Sign-in throttle, API rate limits and mail intervals (monoboard/lib/counters.py):
    # in the database so that every process counts together. `migrate` creates
    # the table (monoboard/ops/migrations/0003_throttle_cache_table.py).
    "throttle": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "monoboard_throttle_cache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}
#: Stage 4: one Redis shared by every instance for the page cache, cache-aside,
#: throttles and rate limits (Django's Redis backend, made fail-safe). Unset:
#: nothing needs Redis.
REDIS_URL = env_str("REDIS_URL")
#: Redis fails safe (monoboard/lib/rediscache.py): an error or a reply slower
#: than REDIS_TIMEOUT_S is a miss, and Redis is left alone for REDIS_RETRY_S.
#: Throttle counts fall back to the database cache meanwhile.
REDIS_TIMEOUT_S = env_float("REDIS_TIMEOUT_S", 0.25, minimum=0.01)
REDIS_RETRY_S = env_float("REDIS_RETRY_S", 2.0, minimum=0.1)
if REDIS_URL:
    _redis_options = {"SOCKET_TIMEOUT_S": REDIS_TIMEOUT_S, "RETRY_S": REDIS_RETRY_S}
    CACHES = {
        alias: {
            "BACKEND": "monoboard.lib.rediscache.SafeRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": _redis_options
            | ({"FALLBACK": "throttle_db"} if alias == "throttle" else {}),
        }
        | ({"KEY_PREFIX": alias} if alias != "default" else {})
        for alias in CACHES
    } | {"throttle_db": CACHES["throttle"]}
#: Cache-aside for small hot reads (site settings, statuses, tags, boards, board
#: pages' post rows; monoboard/lib/cacheaside.py): on by default only with a cache every process
#: shares, since a per-process cache would miss other processes' invalidations.
CACHE_ASIDE = env_bool("CACHE_ASIDE", bool(REDIS_URL))
#: How long a cached value is kept at most (invalidation normally comes first).
CACHE_ASIDE_SECONDS = env_int("CACHE_ASIDE_SECONDS", 300, minimum=1)
# Anonymous visitors share rendered board, post, roadmap and home pages for at
# most this many seconds (monoboard/pagecache/); 0 turns it off.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 10, minimum=0)
# The same pages carry "Cache-Control: public, s-maxage=N, max-age=0": a shared
# cache in front (nginx's edge cache, a CDN) may serve them N seconds old;
# browsers ask again. 0: nothing is marked public.
EDGE_CACHE_SECONDS = env_int("EDGE_CACHE_SECONDS", 5, minimum=0)

# --- Static files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Until collectstatic has run (tests, a fresh checkout) fall back to the
# unhashed names and serve straight from the app folders.
WHITENOISE_MANIFEST_STRICT = False
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"
# Never served as a URL: every stored file goes out through a checked view
# (monoboard/boards/attachment_views.py), so /media/ has no route.
MEDIA_URL = "/media/"

# --- Image attachments (docs/attachments.md) ----------------------------------
# Files live in STORAGES["default"]: the file system under MEDIA_ROOT, or an
# S3-compatible bucket when STORAGE_S3_BUCKET is set.
STORAGE_S3_BUCKET = env_str("STORAGE_S3_BUCKET")
if STORAGE_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_S3_BUCKET,
            "endpoint_url": env_str("STORAGE_S3_ENDPOINT_URL") or None,
            "access_key": env_str("STORAGE_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("STORAGE_S3_SECRET_ACCESS_KEY") or None,
            "region_name": env_str("STORAGE_S3_REGION") or None,
            "addressing_style": env_choice(
                "STORAGE_S3_ADDRESSING_STYLE", "auto", ("auto", "path", "virtual")
            ),
            "location": env_str("STORAGE_S3_PREFIX"),
            "default_acl": None,  # objects stay private; the bucket policy decides
            "querystring_auth": True,
            "querystring_expire": env_int("STORAGE_S3_URL_EXPIRY_S", 60, minimum=1, maximum=3600),
            "file_overwrite": False,
        },
    }
#: "redirect": the checked view answers 302 to a short-lived presigned URL;
#: "stream": the app reads the object and sends it itself. File systems always stream.
ATTACHMENT_S3_DELIVERY = env_choice("ATTACHMENT_S3_DELIVERY", "redirect", ("redirect", "stream"))
if STORAGE_S3_BUCKET and ATTACHMENT_S3_DELIVERY == "redirect":
    # Images follow the redirect to the bucket: the page's CSP must allow its origin.
    _endpoint = STORAGES["default"]["OPTIONS"]["endpoint_url"]
    _parts = _endpoint.split("/", 3) if _endpoint else []
    SECURE_CSP["img-src"] = [
        *SECURE_CSP["img-src"],
        "/".join(_parts[:3]) if len(_parts) >= 3 else "https://*.amazonaws.com",
    ]
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
ATTACHMENT_MAX_PIXELS = env_int("ATTACHMENT_MAX_PIXELS", 40_000_000, minimum=10_000)
ATTACHMENT_MAX_PER_ITEM = env_int("ATTACHMENT_MAX_PER_ITEM", 8, minimum=1, maximum=50)
ATTACHMENT_THUMB_PX = env_int("ATTACHMENT_THUMB_PX", 480, minimum=32, maximum=2048)
#: Attachments detached from any post and stored files with no row are removed
#: by the hourly boards.prune_attachments job once this old.
ATTACHMENT_ORPHAN_HOURS = env_int("ATTACHMENT_ORPHAN_HOURS", 24, minimum=1)

# --- Locale -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Serving ------------------------------------------------------------------
# Processes rather than threads: a thread back from the database waits for the
# GIL while another renders, which made SQLite queries ten times slower under
# load (docs/benchmarks.md).
SERVE_WORKERS = env_int("WEB_WORKERS", 4, minimum=1)
SERVE_THREADS = env_int("WEB_THREADS", 2, minimum=1)
#: Stage 3: how many app instances the deployment runs behind its load
#: balancer (scripts/stage3 sets it). Checks and the advisor read it.
INSTANCES = env_int("INSTANCES", 1, minimum=1)
#: How this instance names itself in /metrics, the rollups and the Scale page;
#: `manage.py serve` sets it to host:port for its children when it is empty.
INSTANCE_NAME = env_str("INSTANCE_NAME")
#: Extra processes `manage.py serve` supervises beside the web server, as
#: argv lists; "{python}", "{host}", "{port}" and "{events_port}" are filled in.
SERVE_PROCESSES: dict[str, list[str]] = {}

# --- The durable event log (monoboard/core, docs/architecture.md) -------------
# Events are written in each write's own transaction; the jobs worker runs the
# consumers (search index, notifications, webhooks) from their saved positions.
#: How long events are kept (for stream replay) once every consumer has read them.
EVENTS_RETENTION_HOURS = env_int("EVENTS_RETENTION_HOURS", 24, minimum=1)
#: Events one consumer handles per transaction.
EVENTS_BATCH = env_int("EVENTS_BATCH", 200, minimum=1)
#: How often the worker looks for new events where no NOTIFY wakes it (SQLite).
EVENTS_POLL_INTERVAL_S = env_float("EVENTS_POLL_INTERVAL_S", 0.2, minimum=0.01)
#: Failures in a row on one event before a consumer skips it (and logs it).
EVENTS_MAX_FAILURES = env_int("EVENTS_MAX_FAILURES", 5, minimum=1)

# --- Real-time updates (monoboard/realtime, docs/realtime.md) -----------------
# Server-Sent Events from an event log. "db-poll" works everywhere; "pg-notify"
# (PostgreSQL LISTEN/NOTIFY) falls back to db-poll on other databases.
REALTIME_BACKEND = env_choice("REALTIME_BACKEND", "db-poll", ("db-poll", "pg-notify"))
REALTIME_POLL_INTERVAL = env_float("REALTIME_POLL_INTERVAL", 0.25, minimum=0.05)
REALTIME_HEARTBEAT = env_float("REALTIME_HEARTBEAT", 15.0, minimum=1.0)
# A signed-in member's open stream re-checks its session this often (seconds)
# and ends once they signed out, were deactivated or changed their password.
REALTIME_SESSION_CHECK = env_float("REALTIME_SESSION_CHECK", 15.0, minimum=0.1)
REALTIME_RETRY_MS = env_int("REALTIME_RETRY_MS", 3000, minimum=100)
REALTIME_REPLAY_LIMIT = env_int("REALTIME_REPLAY_LIMIT", 500, minimum=1)
# Where pages open the stream; empty means "this host, EVENTS_PORT".
REALTIME_EVENTS_URL = env_str("REALTIME_EVENTS_URL")
# The events process's port under `manage.py serve`; 0 means the web port + 1.
EVENTS_PORT = env_int("EVENTS_PORT", 0, minimum=0)
REALTIME_CORS_ORIGINS = env_list("REALTIME_CORS_ORIGINS")
# Every open stream is one request in flight: granian's default (1024 per
# worker) would refuse the next browser, so the limit is set here. Streams
# never end by themselves, so stopping waits at most 5 s for them.
_EVENTS_MAX_STREAMS = str(env_int("EVENTS_MAX_STREAMS", 4096, minimum=128))
if env_bool("REALTIME_SERVE", True):
    SERVE_PROCESSES["events"] = [
        "{python}", "-m", "granian", "--interface", "asginl",
        "--host", "{host}", "--port", "{events_port}",
        "--workers", str(env_int("EVENTS_WORKERS", 1, minimum=1)),
        "--backlog", _EVENTS_MAX_STREAMS, "--backpressure", _EVENTS_MAX_STREAMS,
        "--workers-kill-timeout", "5",
        "--log-level", "warning", "monoboard.asgi:application",
    ]  # fmt: skip

# --- Background jobs (monoboard/jobs, docs/jobs.md) -------------------------
# django.tasks on the database backend; `manage.py runworker` runs them.
TASKS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": [],  # empty: any queue name is accepted
    },
}
JOBS_MAX_ATTEMPTS = env_int("JOBS_MAX_ATTEMPTS", 5, minimum=1)
JOBS_RETRY_BASE_DELAY_S = env_float("JOBS_RETRY_BASE_DELAY_S", 10.0, minimum=0.0)
JOBS_RETRY_MAX_DELAY_S = env_float("JOBS_RETRY_MAX_DELAY_S", 3600.0, minimum=0.0)
JOBS_CONCURRENCY = env_int("JOBS_CONCURRENCY", 1, minimum=1)
JOBS_CLAIM_BATCH = env_int("JOBS_CLAIM_BATCH", 8, minimum=1)
JOBS_POLL_INTERVAL_S = env_float("JOBS_POLL_INTERVAL_S", 1.0, minimum=0.01)
JOBS_HEARTBEAT_S = env_float("JOBS_HEARTBEAT_S", 5.0, minimum=0.1)
#: A running task whose worker has not beaten for this long is put back.
JOBS_LEASE_S = env_float("JOBS_LEASE_S", 60.0, minimum=0.5)
#: After SIGTERM, how long a worker waits for tasks in hand before releasing them.
JOBS_SHUTDOWN_GRACE_S = env_float("JOBS_SHUTDOWN_GRACE_S", 10.0, minimum=0.0)
JOBS_KEEP_FINISHED_DAYS = env_int("JOBS_KEEP_FINISHED_DAYS", 7, minimum=1)
#: The worker's CPU priority below the web's (Unix nice, 0-19): on a shared box
#: background work then yields to requests; on a box of its own it changes nothing.
JOBS_NICE = env_int("JOBS_NICE", 10, minimum=0, maximum=19)
#: Stage 1: `manage.py serve` starts one worker; stage 3 runs workers apart (set 0).
if env_bool("JOBS_IN_SERVE", True):
    SERVE_PROCESSES["worker"] = ["{python}", str(BASE_DIR / "manage.py"), "runworker"]

# --- Notifications (monoboard/notifications, docs/notifications.md) ---------
# Emails go through the outbox table; a job sends them with retries.
NOTIFICATIONS_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAX_ATTEMPTS", 6, minimum=1)
#: First retry delay; each later one doubles (capped at a day).
NOTIFICATIONS_RETRY_BASE_SECONDS = env_int("NOTIFICATIONS_RETRY_BASE_SECONDS", 60, minimum=1)
#: Emails `drain_outbox()` sends at most in one call (each email also has its own job).
NOTIFICATIONS_BATCH_SIZE = env_int("NOTIFICATIONS_BATCH_SIZE", 200, minimum=1)
NOTIFICATIONS_DIGEST_EVERY_HOURS = env_int("NOTIFICATIONS_DIGEST_EVERY_HOURS", 24, minimum=1)

# --- Search (monoboard/search, docs/search.md) -------------------------------
# "auto" picks SQLite FTS5 or PostgreSQL full-text search by the database in use.
SEARCH_BACKEND = env_choice("SEARCH_BACKEND", "auto", ("auto", "sqlite_fts5", "postgres"))
SEARCH_RESULTS_PER_PAGE = env_int("SEARCH_RESULTS_PER_PAGE", 20, minimum=1)
# Past this many matches one search ranks only the newest, so its cost is bounded.
SEARCH_RANK_POOL = env_int("SEARCH_RANK_POOL", 500, minimum=1)

# Semantic duplicates (monoboard/similar, docs/search.md): title vectors from
# the embedding model bundled with wordllama, blended into similar ideas and
# listed for admins at /similar/.
SIMILAR_SEMANTIC = env_bool("SIMILAR_SEMANTIC", True)
SIMILAR_SEMANTIC_MIN = env_float("SIMILAR_SEMANTIC_MIN", 0.5, minimum=0.0)
SIMILAR_TRIAGE_THRESHOLD = env_float("SIMILAR_TRIAGE_THRESHOLD", 0.7, minimum=0.0)
SIMILAR_TRIAGE_WINDOW = env_int("SIMILAR_TRIAGE_WINDOW", 2000, minimum=1)

# --- JSON API v1 (monoboard/api, docs/api.md) ---------------------------------
# Requests a minute per API key or user (and per address for signed-in callers),
# and per address for anonymous callers. Counted in CACHES["throttle"], shared
# by every process.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 120, minimum=1)
API_ANON_RATE_LIMIT_PER_MINUTE = env_int("API_ANON_RATE_LIMIT_PER_MINUTE", 60, minimum=1)
API_ACCESS_TOKEN_TTL_S = env_int("API_ACCESS_TOKEN_TTL_S", 15 * 60, minimum=30)
API_REFRESH_TOKEN_TTL_S = env_int("API_REFRESH_TOKEN_TTL_S", 7 * 24 * 3600, minimum=60)
API_IDEMPOTENCY_TTL_HOURS = env_int("API_IDEMPOTENCY_TTL_HOURS", 24, minimum=1)

# --- Single sign-on and the widget (monoboard/sso, docs/accounts.md) ---------
#: A signed identify token may live at most this long (exp - iat); its id is
#: remembered until it expires, so a replay is refused.
SSO_TOKEN_MAX_AGE_S = env_int("SSO_TOKEN_MAX_AGE_S", 3600, minimum=30, maximum=86400)
SSO_CLOCK_SKEW_S = env_int("SSO_CLOCK_SKEW_S", 30, minimum=0, maximum=600)
SSO_JWKS_CACHE_S = env_int("SSO_JWKS_CACHE_S", 300, minimum=10)
SSO_JWKS_TIMEOUT_S = env_int("SSO_JWKS_TIMEOUT_S", 5, minimum=1, maximum=60)
#: A token naming an unknown key id fetches the JWKS again at most this often.
SSO_JWKS_REFETCH_S = env_int("SSO_JWKS_REFETCH_S", 30, minimum=0)

# --- Webhooks (monoboard/webhooks, docs/webhooks.md) --------------------------
WEBHOOKS_TIMEOUT_S = env_float("WEBHOOKS_TIMEOUT_S", 10.0, minimum=0.5)
WEBHOOKS_MAX_ATTEMPTS = env_int("WEBHOOKS_MAX_ATTEMPTS", 8, minimum=1)
#: First retry delay; later ones double (with jitter), capped by JOBS_RETRY_MAX_DELAY_S.
WEBHOOKS_RETRY_BASE_DELAY_S = env_float("WEBHOOKS_RETRY_BASE_DELAY_S", 30.0, minimum=0.0)
#: Deliveries (and their attempt logs) older than this are deleted daily.
WEBHOOKS_KEEP_DAYS = env_int("WEBHOOKS_KEEP_DAYS", 30, minimum=1)
# Deliver to loopback and private addresses (on-premise receivers); link-local
# (cloud metadata), multicast and reserved addresses are refused regardless.
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)

# --- Backups (monoboard/backup, docs/backups.md) -----------------------------
#: Where `manage.py backup` and the recurring backup write their archives.
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(DATA_DIR / "backups"))).resolve()
#: The jobs worker writes a backup every this many hours; 0 (the default): never.
BACKUP_EVERY_HOURS = env_float("BACKUP_EVERY_HOURS", 0.0, minimum=0.0)
#: The recurring backup keeps this many newest archives in BACKUP_DIR.
BACKUP_KEEP = env_int("BACKUP_KEEP", 7, minimum=1)
#: Folder of pg_dump and pg_restore; empty: found on PATH.
BACKUP_PG_BIN_DIR = env_str("BACKUP_PG_BIN_DIR")

# --- Product knobs ----------------------------------------------------------
POSTS_PER_PAGE = env_int("POSTS_PER_PAGE", 20, minimum=1)

# --- Metrics (monoboard/ops/metrics) -------------------------------------------
SLOW_QUERY_MS = env_float("SLOW_QUERY_MS", 100.0, minimum=0.0)
SLOW_QUERY_LOG = env_bool("SLOW_QUERY_LOG", True)
#: Fold requests into per-minute rows kept in the database for 30 days.
METRICS_ROLLUPS = env_bool("METRICS_ROLLUPS", True)
#: Who may read /metrics: "local" (loopback and private addresses), "all", or "off".
METRICS_ACCESS = env_choice("METRICS_ACCESS", "local", ("local", "all", "off"))
#: The scale advisor's evidence rule: no step is advised before the window holds
#: this many minutes with requests and this many requests in all.
ADVISOR_MIN_MINUTES = env_int("ADVISOR_MIN_MINUTES", 15, minimum=1)
ADVISOR_MIN_REQUESTS = env_int("ADVISOR_MIN_REQUESTS", 1000, minimum=1)
# Stage 5: `advise --simulate` (monoboard/ops/simulate.py). The price of one
# instance for an hour (any currency), the p95 a simulated minute must stay
# under, and the jobs waiting per worker that KEDA's trigger aims at.
SCALE_INSTANCE_HOUR_PRICE = env_float("SCALE_INSTANCE_HOUR_PRICE", 0.05, minimum=0.0)
SCALE_P95_TARGET_MS = env_float("SCALE_P95_TARGET_MS", 100.0, minimum=1.0)
SCALE_JOBS_PER_WORKER = env_int("SCALE_JOBS_PER_WORKER", 100, minimum=1)

#: The jobs worker's own lines (one per task run, recurring tasks enqueued):
#: WARNING keeps the console to problems; `runworker -v2` shows them (INFO).
JOBS_LOG_LEVEL = env_str("JOBS_LOG_LEVEL", "WARNING").upper()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # 403s and suspicious requests: one WARNING line each, no traceback.
    "filters": {"refusals": {"()": "monoboard.lib.logfilters.OneLineRefusals"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["refusals"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.tasks": {"level": JOBS_LOG_LEVEL},
        "monoboard.jobs": {"level": JOBS_LOG_LEVEL},
    },
}

# --- Avatars ----------------------------------------------------------------
#: People who opt in show their Gravatar; only that image host is allowed.
SECURE_CSP["img-src"] = [*SECURE_CSP["img-src"], "https://www.gravatar.com"]

# --- Imports (docs/import.md) ---------------------------------------------------------
#: The largest CSV file an admin may upload on the import page.
IMPORT_MAX_UPLOAD_MB = env_int("IMPORT_MAX_UPLOAD_MB", 50, minimum=1)
