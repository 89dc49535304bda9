"""supportcall settings: one file, driven by the environment.

Every knob has a default that serves a laptop (SQLite, the in-memory channel
layer). ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis. A
bad value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from supportcall import turn
from supportcall.tokens.keys import DEVELOPMENT_SECRET_KEY, is_development_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _setting(name: str, cast, default):
    """Read one variable; a value that does not parse names the variable."""
    try:
        return cast(name, default=default)
    except (ValueError, TypeError, ImproperlyConfigured, environ.compat.ImproperlyConfigured) as e:
        raise ImproperlyConfigured(f"Bad setting {name}={env.str(name, default='')!r}: {e}") from e


def _bool(name: str, default: bool) -> bool:
    value = env.str(name, default=str(default)).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"Bad setting {name}={value!r}: use true or false")


def _positive(name: str, cast, default):
    value = _setting(name, cast, default)
    if value <= 0:
        raise ImproperlyConfigured(f"Bad setting {name}={value!r}: must be greater than 0")
    return value


DEBUG = _bool("DEBUG", False)
# A laptop on purpose: accepts the published development key (tokens/keys.py) when no
# other is set. Never in production: anyone can forge tokens with that key.
SUPPORTCALL_DEV = _bool("SUPPORTCALL_DEV", False)

# Where `make run` keeps the random key it makes once; SECRET_KEY, if set, wins.
SECRET_KEY_FILE = Path(env.str("SECRET_KEY_FILE", default=str(BASE_DIR / ".secret_key")))
if "SECRET_KEY_FILE" in env and not SECRET_KEY_FILE.is_file():
    raise ImproperlyConfigured(f"Bad setting SECRET_KEY_FILE={str(SECRET_KEY_FILE)!r}: no file")


def _secret_key() -> str:
    key = env.str("SECRET_KEY", default="").strip()
    if not key and SECRET_KEY_FILE.is_file():
        key = SECRET_KEY_FILE.read_text().strip()
    if not key and SUPPORTCALL_DEV:
        key = DEVELOPMENT_SECRET_KEY
    if not key:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: set it to a random value, the same in every process "
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or run `make run`, which makes one in .secret_key"
        )
    if is_development_key(key) and not SUPPORTCALL_DEV:
        raise ImproperlyConfigured(
            "Bad setting SECRET_KEY: it is a published development key, with which anyone "
            "can forge an agent's token; set a random one, or SUPPORTCALL_DEV=1 on a laptop"
        )
    return key


SECRET_KEY = _secret_key()
# Old keys, still accepted for signatures while tokens and sessions signed with
# them run out (rotation: docs/deployment.md). New signatures use SECRET_KEY.
SECRET_KEY_FALLBACKS = [k for k in _setting("SECRET_KEY_FALLBACKS", env.list, []) if k.strip()]
if not SUPPORTCALL_DEV and any(is_development_key(k) for k in SECRET_KEY_FALLBACKS):
    raise ImproperlyConfigured(
        "Bad setting SECRET_KEY_FALLBACKS: it holds a published development key, "
        "with which anyone can forge an agent's token"
    )
ALLOWED_HOSTS = _setting(
    "ALLOWED_HOSTS", env.list, ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = _setting(
    "CSRF_TRUSTED_ORIGINS", env.list, ["http://127.0.0.1:8000", "http://localhost:8000"]
)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "csp",
    "supportcall.directory",
    "supportcall.tokens",
    "supportcall.calls",
    "supportcall.quality",
    "supportcall.callbacks",
    "supportcall.webhooks",
    "supportcall.privacy",
    "rest_framework",
    "drf_spectacular",
    "supportcall.api",
    "supportcall.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise: static files (the widget, on customers' pages) get no policy.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session (the language chooser's choice may live there), before common.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused for too many failures into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

# What the dashboard, the sign-in pages and the admin may load and run: only their
# own scripts, styles and connections (the WebSocket included), never inline code,
# and no framing. The demo page stands in for a customer's page and is exempt.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Behind HTTPS (SUPPORTCALL_HTTPS=1): cookies only over HTTPS, plain HTTP redirected,
# HSTS for a year; each can also be set on its own. SECURE_PROXY_SSL_HEADER names the
# header a trusted proxy sets to "https" (X-Forwarded-Proto in the nginx example).
SUPPORTCALL_HTTPS = _bool("SUPPORTCALL_HTTPS", False)
SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", SUPPORTCALL_HTTPS)
CSRF_COOKIE_SECURE = _bool("CSRF_COOKIE_SECURE", SUPPORTCALL_HTTPS)
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", SUPPORTCALL_HTTPS)
SECURE_HSTS_SECONDS = _setting(
    "SECURE_HSTS_SECONDS", env.int, 365 * 24 * 3600 if SUPPORTCALL_HTTPS else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", False)
_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="")
if _ssl_header:
    if not _ssl_header.replace("-", "").isalnum():
        raise ImproperlyConfigured(
            f"Bad setting SECURE_PROXY_SSL_HEADER={_ssl_header!r}: a header name, such as "
            "X-Forwarded-Proto"
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _ssl_header.upper().replace("-", "_"), "https")

# Password guessing: every password login (the agent login, the dashboard's and the
# admin's) counts failures per username and, separately, per client address; past
# the limit that username or address is locked out for a while. Lockouts are listed,
# and lifted by deleting them, in the admin (Axes > Access attempts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
SUPPORTCALL_LOGIN_FAILURES = _positive("SUPPORTCALL_LOGIN_FAILURES", env.int, 5)
SUPPORTCALL_LOCKOUT_MINUTES = _positive("SUPPORTCALL_LOCKOUT_MINUTES", env.int, 15)
AXES_FAILURE_LIMIT = SUPPORTCALL_LOGIN_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=SUPPORTCALL_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "supportcall.http.client_address"
AXES_LOCKOUT_CALLABLE = "supportcall.http.lockout_response"

ROOT_URLCONF = "supportcall.urls"
ASGI_APPLICATION = "supportcall.asgi.application"

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

try:
    DATABASES = {
        "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    }
except Exception as e:  # django-environ raises several kinds for a bad URL
    raise ImproperlyConfigured(f"Bad setting DATABASE_URL: {e}") from e
if DATABASES["default"]["ENGINE"] not in (
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
):
    raise ImproperlyConfigured(
        f"Bad setting DATABASE_URL={env.str('DATABASE_URL')!r}: use sqlite:///path or postgres://..."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two writers meeting must wait, never fail. A deferred transaction that turns
    # into a write while another writer holds the lock gets "database is locked" at
    # once, whatever the busy timeout: transactions take the write lock when they
    # begin (IMMEDIATE) and then wait up to the timeout. WAL lets reads go on
    # beside a write; synchronous=NORMAL is WAL's safe and cheap setting.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# Connections: the database threads of WebSockets keep theirs (supportcall/db.py);
# an HTTP request's goes with it (Django runs each in a thread of its own, so a
# connection kept per thread would never be reused). On PostgreSQL a pool
# (psycopg's, Django's "pool" option, as Django advises under ASGI) lends them.
SUPPORTCALL_DB_POOL_SIZE = _positive("SUPPORTCALL_DB_POOL_SIZE", env.int, 12)
DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": SUPPORTCALL_DB_POOL_SIZE,
        "timeout": 20,  # waiting for a free connection, as SQLite waits for its lock
    }
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Threads a process runs its WebSockets' database work in (supportcall/db.py): on
# PostgreSQL several wait for the server at once; SQLite writes one at a time, so 1.
_on_postgres = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
SUPPORTCALL_DB_THREADS = _positive("SUPPORTCALL_DB_THREADS", env.int, 4 if _on_postgres else 1)
if SUPPORTCALL_DB_THREADS >= SUPPORTCALL_DB_POOL_SIZE:
    raise ImproperlyConfigured(
        "Bad setting SUPPORTCALL_DB_THREADS: must be below SUPPORTCALL_DB_POOL_SIZE "
        "(HTTP requests and the sweeper need connections too)"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"Bad setting REDIS_URL={REDIS_URL!r}: must start with redis://, rediss:// or unix://"
        )
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's default 5 s socket timeout races channels-redis's 5 s
                # BZPOPMIN: an idle consumer would die of a read timeout.
                "hosts": [
                    {"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 5}
                ],
                # Events a connection may have waiting; over it channels-redis drops
                # them, and delivery closes that connection so it resumes (delivery.py).
                "capacity": env.int("SUPPORTCALL_CHANNEL_CAPACITY", default=1000),
                "expiry": 60,
                # Separates deployments (or test runs) sharing one Redis.
                "prefix": env.str("SUPPORTCALL_CHANNEL_PREFIX", default="supportcall"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "supportcall.layers.SweptInMemoryChannelLayer"}}
# Rate-limit counters live in the cache: with Redis, every process counts together.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "supportcall",
        }
    }

AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []
# The debug error page and error reports mask passwords inside connection URLs too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "supportcall.http.ReporterFilter"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/agent/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
# The dashboard's, the sign-in pages' and the admin's languages: the widget's five
# (static/supportcall/widget/lang/). LocaleMiddleware picks one from the language
# chooser's cookie, else the browser's Accept-Language, else English.
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ar", "العربية"),
]
# Our catalogues (makemessages writes them, the .mo files are committed beside them).
LOCALE_PATHS = [BASE_DIR / "supportcall" / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic puts the files whitenoise serves.
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "supportcall": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
        # Failed logins and lockouts (warnings); not four lines for every good login.
        "axes": {"level": "WARNING"},
    },
}

# --- supportcall ----------------------------------------------------------

# The domain of every address: alice@<domain>, support@<domain>.
SUPPORTCALL_DOMAIN = env.str("SUPPORTCALL_DOMAIN", default="support.example.com")
# How long a login token may wait before its WebSocket `auth`, in seconds.
SUPPORTCALL_TOKEN_TTL = _positive("SUPPORTCALL_TOKEN_TTL", env.int, 60)
# Seconds an expired token's row is kept (for the admin, and an audit) before the
# sweeper deletes it: every hello issues one, so they must not pile up for good.
SUPPORTCALL_TOKEN_RETENTION = _positive("SUPPORTCALL_TOKEN_RETENTION", env.int, 86_400)
# Retention (docs/privacy.md): rows one batch of the sweeper deletes or scrubs, each batch a
# short statement of its own, and the most batches of each kind one sweep runs (the rest
# waits for the next minute: a backlog never holds the sweeper up for long).
SUPPORTCALL_RETENTION_BATCH = _positive("SUPPORTCALL_RETENTION_BATCH", env.int, 500)
SUPPORTCALL_RETENTION_BATCHES = _positive("SUPPORTCALL_RETENTION_BATCHES", env.int, 20)
# How long the other party has to answer a re-offer (hold, video...), in seconds.
SUPPORTCALL_OP_TIMEOUT = _positive("SUPPORTCALL_OP_TIMEOUT", env.float, 10.0)
# How long a call may ring before it ends with `no_answer`, in seconds.
SUPPORTCALL_RING_TIMEOUT = _positive("SUPPORTCALL_RING_TIMEOUT", env.float, 30.0)
# How long a blind transfer (call.transfer) may ring its target, from the transfer, before
# it falls back (to the agent who transferred it, or a callback request), in seconds.
SUPPORTCALL_TRANSFER_TIMEOUT = _positive("SUPPORTCALL_TRANSFER_TIMEOUT", env.float, 30.0)
if SUPPORTCALL_TRANSFER_TIMEOUT > 600:
    raise ImproperlyConfigured("Bad setting SUPPORTCALL_TRANSFER_TIMEOUT: at most 600 seconds")
# An agent who lets this many calls in a row ring out is set away.
SUPPORTCALL_MISSED_CALLS_AWAY = _positive("SUPPORTCALL_MISSED_CALLS_AWAY", env.int, 3)
# A WebSocket that has not sent `auth` by then is closed with 4401, in seconds.
SUPPORTCALL_AUTH_TIMEOUT = _positive("SUPPORTCALL_AUTH_TIMEOUT", env.float, 10.0)
# How often each process's sweeper looks for passed deadlines, in seconds;
# 0 turns the in-process sweeper off (run `manage.py sweep` instead).
SUPPORTCALL_SWEEP_INTERVAL = _setting("SUPPORTCALL_SWEEP_INTERVAL", env.float, 1.0)
if SUPPORTCALL_SWEEP_INTERVAL < 0:
    raise ImproperlyConfigured("Bad setting SUPPORTCALL_SWEEP_INTERVAL: must be 0 or more")
# How long a dropped connection may come back with its resume token, in seconds:
# past it, its calls end `connection_lost`.
SUPPORTCALL_RESUME_GRACE = _positive("SUPPORTCALL_RESUME_GRACE", env.float, 20.0)
# How often clients send {"type": "ping"} (told in `hello`), in seconds.
SUPPORTCALL_PING_INTERVAL = _positive("SUPPORTCALL_PING_INTERVAL", env.float, 25.0)
# Call quality (supportcall/quality/, docs/metrics.md): clients report their media's
# quality every SUPPORTCALL_QUALITY_INTERVAL seconds (told in hello); a party's reports
# closer together than the minimum are refused rate_limited; a party keeps at most
# SUPPORTCALL_QUALITY_SAMPLES of them per call (an hour at 5 s), the oldest going first.
SUPPORTCALL_QUALITY_INTERVAL = _positive("SUPPORTCALL_QUALITY_INTERVAL", env.float, 5.0)
SUPPORTCALL_QUALITY_MIN_INTERVAL = _positive("SUPPORTCALL_QUALITY_MIN_INTERVAL", env.float, 1.0)
SUPPORTCALL_QUALITY_SAMPLES = _positive("SUPPORTCALL_QUALITY_SAMPLES", env.int, 720)
# The warnings' thresholds (a widely used browser voice SDK's defaults): round trip in ms,
# jitter in ms, packet loss in percent (over it in 3 of the last 5 reports), the MOS.
SUPPORTCALL_QUALITY_RTT_MS = _positive("SUPPORTCALL_QUALITY_RTT_MS", env.float, 400.0)
SUPPORTCALL_QUALITY_JITTER_MS = _positive("SUPPORTCALL_QUALITY_JITTER_MS", env.float, 30.0)
SUPPORTCALL_QUALITY_LOSS_PCT = _positive("SUPPORTCALL_QUALITY_LOSS_PCT", env.float, 1.0)
SUPPORTCALL_QUALITY_MOS = _positive("SUPPORTCALL_QUALITY_MOS", env.float, 3.5)
# The check before the call (supportcall/precall/echo.py): a check's echo peer lives at
# most SUPPORTCALL_CHECK_SECONDS; a process runs at most SUPPORTCALL_CHECK_CONCURRENT at
# once (each costs CPU: docs/deployment.md); an identity may start SUPPORTCALL_CHECK_RATE
# a minute. Over either limit, check.start is refused rate_limited.
SUPPORTCALL_CHECK_SECONDS = _positive("SUPPORTCALL_CHECK_SECONDS", env.float, 8.0)
if SUPPORTCALL_CHECK_SECONDS > 60:
    raise ImproperlyConfigured("Bad setting SUPPORTCALL_CHECK_SECONDS: at most 60 seconds")
SUPPORTCALL_CHECK_CONCURRENT = _positive("SUPPORTCALL_CHECK_CONCURRENT", env.int, 8)
if SUPPORTCALL_CHECK_CONCURRENT > 1000:
    raise ImproperlyConfigured("Bad setting SUPPORTCALL_CHECK_CONCURRENT: at most 1000")
SUPPORTCALL_CHECK_RATE = _positive("SUPPORTCALL_CHECK_RATE", env.int, 6)
if SUPPORTCALL_CHECK_RATE > 1000:
    raise ImproperlyConfigured("Bad setting SUPPORTCALL_CHECK_RATE: at most 1000 a minute")
# A connection silent for this long (no frame, no ping) is closed as dead, in seconds.
SUPPORTCALL_IDLE_TIMEOUT = _positive("SUPPORTCALL_IDLE_TIMEOUT", env.float, 60.0)
# Connections of a process whose sweeper has not refreshed them for this long
# (the process was killed) count as dropped, in seconds.
SUPPORTCALL_PROCESS_TIMEOUT = _positive("SUPPORTCALL_PROCESS_TIMEOUT", env.float, 10.0)
# Anonymous logins per client address per minute.
SUPPORTCALL_LOGIN_RATE = _positive("SUPPORTCALL_LOGIN_RATE", env.int, 30)
# The reverse proxies in front of daphne (addresses or networks, comma-separated).
# A request from one of them is counted against the address its X-Forwarded-For
# names; from anywhere else the header is ignored (a client could write anything).
try:
    SUPPORTCALL_TRUSTED_PROXIES = [
        ipaddress.ip_network(net.strip(), strict=False)
        for net in env.list("SUPPORTCALL_TRUSTED_PROXIES", default=[])
        if net.strip()
    ]
except ValueError as e:
    raise ImproperlyConfigured(f"Bad setting SUPPORTCALL_TRUSTED_PROXIES: {e}") from e
# Who may read /metrics (supportcall/metrics.py): addresses or networks, comma-separated
# (default: this machine only), and, when set, a bearer token a scraper sends from anywhere.
try:
    SUPPORTCALL_METRICS_ALLOW = [
        ipaddress.ip_network(net.strip(), strict=False)
        for net in env.list("SUPPORTCALL_METRICS_ALLOW", default=["127.0.0.1/32", "::1/128"])
        if net.strip()
    ]
except ValueError as e:
    raise ImproperlyConfigured(f"Bad setting SUPPORTCALL_METRICS_ALLOW: {e}") from e
SUPPORTCALL_METRICS_TOKEN = env.str("SUPPORTCALL_METRICS_TOKEN", default="")
# The ICE servers handed to clients: a JSON list of RTCIceServer objects.
# Default: none, so peers use host candidates only and nothing leaves the machine.
try:
    SUPPORTCALL_ICE_SERVERS = json.loads(env.str("SUPPORTCALL_ICE_SERVERS", default="[]"))
    if not isinstance(SUPPORTCALL_ICE_SERVERS, list) or not all(
        isinstance(s, dict) and "urls" in s for s in SUPPORTCALL_ICE_SERVERS
    ):
        raise ValueError("must be a JSON list of objects with 'urls'")
except ValueError as e:
    raise ImproperlyConfigured(f"Bad setting SUPPORTCALL_ICE_SERVERS: {e}") from e
# TURN with short-lived credentials (supportcall/turn.py, docs/deployment.md "TURN"):
# the secret shared with coturn's static-auth-secret, and the URLs of that coturn
# (comma-separated: turn:host:3478?transport=udp, turn:host:3478?transport=tcp,
# turns:host:5349?transport=tcp, stun:host:3478). Both or neither: without them only
# SUPPORTCALL_ICE_SERVERS is handed out; with them each login and each `hello`
# carries a credential of its own, valid SUPPORTCALL_TURN_TTL seconds.
SUPPORTCALL_TURN_SECRET = env.str("SUPPORTCALL_TURN_SECRET", default="").strip()
try:
    SUPPORTCALL_TURN_URLS = turn.check_urls(
        url for url in env.list("SUPPORTCALL_TURN_URLS", default=[]) if url.strip()
    )
except ValueError as e:
    raise ImproperlyConfigured(f"Bad setting SUPPORTCALL_TURN_URLS: {e}") from e
if SUPPORTCALL_TURN_SECRET:
    try:
        turn.check_secret(SUPPORTCALL_TURN_SECRET)
    except ValueError as e:
        raise ImproperlyConfigured(f"Bad setting SUPPORTCALL_TURN_SECRET: it {e}") from e
    if not any(turn.is_relay_url(url) for url in SUPPORTCALL_TURN_URLS):
        raise ImproperlyConfigured(
            "Bad setting SUPPORTCALL_TURN_URLS: SUPPORTCALL_TURN_SECRET is set, so name the "
            "coturn it is shared with (turn:host:3478?transport=udp, ...)"
        )
elif any(turn.is_relay_url(url) for url in SUPPORTCALL_TURN_URLS):
    raise ImproperlyConfigured(
        "SUPPORTCALL_TURN_SECRET is not set: TURN URLs need the secret of coturn's "
        "static-auth-secret (openssl rand -hex 32, the same in coturn and every process)"
    )
SUPPORTCALL_TURN_TTL = _setting("SUPPORTCALL_TURN_TTL", env.int, 86_400)
if not turn.MIN_TTL <= SUPPORTCALL_TURN_TTL <= turn.MAX_TTL:
    raise ImproperlyConfigured(
        f"Bad setting SUPPORTCALL_TURN_TTL={SUPPORTCALL_TURN_TTL}: "
        f"must be {turn.MIN_TTL} to {turn.MAX_TTL} seconds"
    )
# "relay": clients use relayed candidates only, so neither party learns the other's
# address (sites that must hide them); "all": direct where possible. Told in `hello`.
SUPPORTCALL_ICE_TRANSPORT_POLICY = env.str("SUPPORTCALL_ICE_TRANSPORT_POLICY", default="all")
if SUPPORTCALL_ICE_TRANSPORT_POLICY not in turn.TRANSPORT_POLICIES:
    raise ImproperlyConfigured(
        f"Bad setting SUPPORTCALL_ICE_TRANSPORT_POLICY={SUPPORTCALL_ICE_TRANSPORT_POLICY!r}: "
        "use all or relay"
    )
if (
    SUPPORTCALL_ICE_TRANSPORT_POLICY == "relay"
    and not any(
        turn.is_relay_url(url)
        for server in SUPPORTCALL_ICE_SERVERS
        for url in ([server["urls"]] if isinstance(server["urls"], str) else server["urls"])
    )
    and not SUPPORTCALL_TURN_SECRET
):
    raise ImproperlyConfigured(
        "Bad setting SUPPORTCALL_ICE_TRANSPORT_POLICY=relay: no TURN server is configured "
        "(SUPPORTCALL_TURN_URLS or SUPPORTCALL_ICE_SERVERS), so no call could connect"
    )
# Seconds a client waits, once a call is answered, for its media to connect; then it
# ends the call `media_failed` ("Your network blocks the call"). Told in `hello`.
SUPPORTCALL_MEDIA_TIMEOUT = _positive("SUPPORTCALL_MEDIA_TIMEOUT", env.float, 20.0)
if SUPPORTCALL_MEDIA_TIMEOUT > 120:
    raise ImproperlyConfigured("Bad setting SUPPORTCALL_MEDIA_TIMEOUT: at most 120 seconds")
# Frames a WebSocket may send per second before it gets `rate_limited`.
SUPPORTCALL_WS_RATE = _positive("SUPPORTCALL_WS_RATE", env.int, 50)
# The largest WebSocket frame a client may send, in bytes.
SUPPORTCALL_MAX_FRAME = _positive("SUPPORTCALL_MAX_FRAME", env.int, 64 * 1024)
# Frames of one WebSocket waiting to be acted on (they came faster than the server
# works); more are refused `rate_limited` as they arrive, without any database work.
SUPPORTCALL_WS_BACKLOG = _positive("SUPPORTCALL_WS_BACKLOG", env.int, 20)
# Output of one WebSocket its client has not read yet, in bytes (events pile up in
# the server's memory); over it the connection is closed 4008 and may resume.
SUPPORTCALL_WS_UNSENT = _positive("SUPPORTCALL_WS_UNSENT", env.int, 1024 * 1024)
# Sizes of what a client sends: an SDP, in characters; ICE candidates kept for agents
# rung before the answer, per call; the context a page attaches to a login or a
# callback request (fields, characters a value); a callback request's note.
SUPPORTCALL_MAX_SDP = _positive("SUPPORTCALL_MAX_SDP", env.int, 60_000)
SUPPORTCALL_EARLY_CANDIDATES = _positive("SUPPORTCALL_EARLY_CANDIDATES", env.int, 50)
SUPPORTCALL_CONTEXT_FIELDS = _positive("SUPPORTCALL_CONTEXT_FIELDS", env.int, 20)
SUPPORTCALL_CONTEXT_VALUE = _positive("SUPPORTCALL_CONTEXT_VALUE", env.int, 500)
SUPPORTCALL_CALLBACK_NOTE = _positive("SUPPORTCALL_CALLBACK_NOTE", env.int, 1000)
# Webhooks (supportcall/webhooks/, docs/webhooks.md). How often each process's worker
# looks for due deliveries, in seconds; 0 turns it off in this process.
SUPPORTCALL_WEBHOOK_INTERVAL = _setting("SUPPORTCALL_WEBHOOK_INTERVAL", env.float, 1.0)
if SUPPORTCALL_WEBHOOK_INTERVAL < 0:
    raise ImproperlyConfigured("Bad setting SUPPORTCALL_WEBHOOK_INTERVAL: must be 0 or more")
# How long one post may take before it counts as failed, in seconds.
SUPPORTCALL_WEBHOOK_TIMEOUT = _positive("SUPPORTCALL_WEBHOOK_TIMEOUT", env.float, 10.0)
# The first retry's delay, in seconds; each next one doubles, up to the maximum (both
# jittered down by up to half).
SUPPORTCALL_WEBHOOK_RETRY = _positive("SUPPORTCALL_WEBHOOK_RETRY", env.float, 10.0)
SUPPORTCALL_WEBHOOK_RETRY_MAX = _positive("SUPPORTCALL_WEBHOOK_RETRY_MAX", env.float, 3600.0)
# A delivery is "failed" (kept, re-sendable in the admin) after this long since its first
# try, in seconds (about a day, as is usual), or after this many tries.
SUPPORTCALL_WEBHOOK_MAX_AGE = _positive("SUPPORTCALL_WEBHOOK_MAX_AGE", env.float, 86_400.0)
SUPPORTCALL_WEBHOOK_MAX_ATTEMPTS = _positive("SUPPORTCALL_WEBHOOK_MAX_ATTEMPTS", env.int, 50)
# Deliveries one process posts at once (each in a thread of its own while it waits).
SUPPORTCALL_WEBHOOK_BATCH = _positive("SUPPORTCALL_WEBHOOK_BATCH", env.int, 20)
# Seconds an event delivered to all its endpoints is kept (the admin shows it) before
# the worker deletes it; failed ones stay until they are delivered or deleted by hand.
SUPPORTCALL_WEBHOOK_RETENTION = _positive("SUPPORTCALL_WEBHOOK_RETENTION", env.float, 604_800.0)
# The read API (supportcall/api/, docs/api.md): records per page unless a request asks
# for another `page_size`, at most the maximum; requests one key may make per minute
# (over it: 429 rate_limited); seconds between two writes of a key's last_used_at.
SUPPORTCALL_API_PAGE_SIZE = _positive("SUPPORTCALL_API_PAGE_SIZE", env.int, 50)
SUPPORTCALL_API_PAGE_SIZE_MAX = _positive("SUPPORTCALL_API_PAGE_SIZE_MAX", env.int, 200)
if SUPPORTCALL_API_PAGE_SIZE_MAX > 1000:
    raise ImproperlyConfigured("Bad setting SUPPORTCALL_API_PAGE_SIZE_MAX: at most 1000")
if SUPPORTCALL_API_PAGE_SIZE > SUPPORTCALL_API_PAGE_SIZE_MAX:
    raise ImproperlyConfigured(
        "Bad setting SUPPORTCALL_API_PAGE_SIZE: must not exceed SUPPORTCALL_API_PAGE_SIZE_MAX "
        f"({SUPPORTCALL_API_PAGE_SIZE} > {SUPPORTCALL_API_PAGE_SIZE_MAX})"
    )
SUPPORTCALL_API_RATE = _positive("SUPPORTCALL_API_RATE", env.int, 600)
SUPPORTCALL_API_KEY_USE_INTERVAL = _positive("SUPPORTCALL_API_KEY_USE_INTERVAL", env.float, 60.0)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["supportcall.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["supportcall.api.auth.HasApiKey"],
    "DEFAULT_THROTTLE_CLASSES": ["supportcall.api.auth.PerKeyThrottle"],
    # JSON only: never the browsable HTML pages, never a form parser.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "supportcall.api.auth.JsonWhateverAccepted",
    "EXCEPTION_HANDLER": "supportcall.api.errors.handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "supportcall API",
    "DESCRIPTION": "Read call records and callback requests (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
}
# Chat in a call: a message's length in characters; messages per call; messages one
# party may send per SUPPORTCALL_CHAT_WINDOW seconds on one call; `chat.typing` frames
# one connection may send per window; messages replayed to a party that resumes (the
# newest ones). Over a limit: `too_large` or `rate_limited`, and the call goes on.
SUPPORTCALL_CHAT_MAX_CHARS = _positive("SUPPORTCALL_CHAT_MAX_CHARS", env.int, 2000)
SUPPORTCALL_CHAT_MESSAGES = _positive("SUPPORTCALL_CHAT_MESSAGES", env.int, 500)
SUPPORTCALL_CHAT_RATE = _positive("SUPPORTCALL_CHAT_RATE", env.int, 5)
SUPPORTCALL_CHAT_WINDOW = _positive("SUPPORTCALL_CHAT_WINDOW", env.float, 5.0)
SUPPORTCALL_CHAT_TYPING_RATE = _positive("SUPPORTCALL_CHAT_TYPING_RATE", env.int, 10)
SUPPORTCALL_CHAT_REPLAY = _positive("SUPPORTCALL_CHAT_REPLAY", env.int, 200)
# The visitor's rating of an answered call (`call.rate`): seconds after the end it may
# still be sent (at most an hour), and the characters of its optional comment.
SUPPORTCALL_RATING_WINDOW = _positive("SUPPORTCALL_RATING_WINDOW", env.float, 900.0)
if SUPPORTCALL_RATING_WINDOW > 3600:
    raise ImproperlyConfigured("Bad setting SUPPORTCALL_RATING_WINDOW: at most 3600 seconds")
SUPPORTCALL_RATING_COMMENT = _positive("SUPPORTCALL_RATING_COMMENT", env.int, 1000)
# Files in the chat (`chat.upload`, then POST /api/v1/calls/<id>/files): seconds an upload
# token lasts (single use); a file's largest size in bytes, counted while it is read;
# seconds a download link lasts. Stored through Django's storage API under MEDIA_ROOT.
SUPPORTCALL_UPLOAD_TOKEN_TTL = _positive("SUPPORTCALL_UPLOAD_TOKEN_TTL", env.float, 60.0)
SUPPORTCALL_UPLOAD_MAX_BYTES = _positive("SUPPORTCALL_UPLOAD_MAX_BYTES", env.int, 10 * 1024 * 1024)
if SUPPORTCALL_UPLOAD_MAX_BYTES > 100 * 1024 * 1024:
    raise ImproperlyConfigured("Bad setting SUPPORTCALL_UPLOAD_MAX_BYTES: at most 100 MiB")
SUPPORTCALL_FILE_LINK_TTL = _positive("SUPPORTCALL_FILE_LINK_TTL", env.float, 86_400.0)
SUPPORTCALL_CHAT_FILES = _positive("SUPPORTCALL_CHAT_FILES", env.int, 20)
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
# Seconds an agent's unanswered `screen.ask` (or `screen.ask_stop`) blocks asking again:
# sooner is `rate_limited`, so a visitor is not pestered. At most an hour.
SUPPORTCALL_SCREEN_ASK_INTERVAL = _positive("SUPPORTCALL_SCREEN_ASK_INTERVAL", env.float, 10.0)
if SUPPORTCALL_SCREEN_ASK_INTERVAL > 3600:
    raise ImproperlyConfigured("Bad setting SUPPORTCALL_SCREEN_ASK_INTERVAL: at most 3600 seconds")
# Seconds an HTTP request's line and headers may take to arrive, from the connection
# (or the previous request's end); a client still sending them then is cut off.
SUPPORTCALL_HTTP_HEADER_TIMEOUT = _positive("SUPPORTCALL_HTTP_HEADER_TIMEOUT", env.float, 10.0)
# Calls not ended yet: per visitor (one at a time is normal), per site; and calls
# waiting in one queue. A call over a limit is refused `rate_limited`.
SUPPORTCALL_VISITOR_CALLS = _positive("SUPPORTCALL_VISITOR_CALLS", env.int, 1)
SUPPORTCALL_SITE_CALLS = _positive("SUPPORTCALL_SITE_CALLS", env.int, 200)
SUPPORTCALL_QUEUE_WAITING = _positive("SUPPORTCALL_QUEUE_WAITING", env.int, 50)
# After-call work (docs/protocol.md, "Wrap-up"): the wrap-up time a new queue gets, in
# seconds (0: until the agent says it is ready; "off": none, the agent is free at once);
# the longest wrap-up time a queue may have; the characters of an agent's call notes.
SUPPORTCALL_WRAP_UP_MAX = _positive("SUPPORTCALL_WRAP_UP_MAX", env.int, 600)
_wrap_up_default = env.str("SUPPORTCALL_WRAP_UP_DEFAULT", default="10").strip().lower()
SUPPORTCALL_WRAP_UP_DEFAULT: int | None = None
if _wrap_up_default != "off":
    try:
        SUPPORTCALL_WRAP_UP_DEFAULT = int(_wrap_up_default)
    except ValueError:
        SUPPORTCALL_WRAP_UP_DEFAULT = -1
    if not 0 <= SUPPORTCALL_WRAP_UP_DEFAULT <= SUPPORTCALL_WRAP_UP_MAX:
        raise ImproperlyConfigured(
            "Bad setting SUPPORTCALL_WRAP_UP_DEFAULT: seconds from 0 to SUPPORTCALL_WRAP_UP_MAX, "
            "or off"
        )
SUPPORTCALL_WRAP_UP_NOTES = _positive("SUPPORTCALL_WRAP_UP_NOTES", env.int, 2000)
# Anonymous logins per site per minute, from every address together.
SUPPORTCALL_SITE_LOGIN_RATE = _positive("SUPPORTCALL_SITE_LOGIN_RATE", env.int, 600)
# Verified visitors (docs/security.md, "Verified visitors"): seconds a site's previous
# identity secret stays valid after a rotation; the clock leeway on exp, nbf and iat;
# the longest lifetime (exp - iat) an identity token may claim; the token's size in
# characters; its attributes (count); characters of its sub and of an attribute's value
# (attribute keys: 64, name: 100, email: 254).
SUPPORTCALL_IDENTITY_ROTATION_OVERLAP = _positive(
    "SUPPORTCALL_IDENTITY_ROTATION_OVERLAP", env.int, 24 * 3600
)
SUPPORTCALL_IDENTITY_LEEWAY = _setting("SUPPORTCALL_IDENTITY_LEEWAY", env.int, 30)
if not 0 <= SUPPORTCALL_IDENTITY_LEEWAY <= 300:
    raise ImproperlyConfigured("Bad setting SUPPORTCALL_IDENTITY_LEEWAY: 0 to 300 seconds")
SUPPORTCALL_IDENTITY_MAX_LIFETIME = _positive("SUPPORTCALL_IDENTITY_MAX_LIFETIME", env.int, 600)
SUPPORTCALL_IDENTITY_TOKEN_SIZE = _positive("SUPPORTCALL_IDENTITY_TOKEN_SIZE", env.int, 4096)
SUPPORTCALL_IDENTITY_ATTRIBUTES = _positive("SUPPORTCALL_IDENTITY_ATTRIBUTES", env.int, 20)
SUPPORTCALL_IDENTITY_VALUE = _positive("SUPPORTCALL_IDENTITY_VALUE", env.int, 200)
