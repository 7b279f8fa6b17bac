"""Django settings for Laufzettel, read from the environment (see README, "Configuration")."""

from pathlib import Path

import dj_database_url

from laufzettel.lib.email_url import parse_email_url
from laufzettel.lib.env import env_bool, env_int, env_list, env_path, env_str

BASE_DIR = Path(__file__).resolve().parent
HOME = env_path("LAUFZETTEL_HOME", Path.cwd() / ".laufzettel")
# The data folder holds the SQLite database, attachments and spooled mail: it must exist first.
HOME.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("LAUFZETTEL_DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    # Only for local use: production must set SECRET_KEY (``check --deploy`` flags the default).
    SECRET_KEY = "django-insecure-laufzettel-local-only-" + str(HOME)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "laufzettel.accounts",
    "laufzettel.tickets",
    "laufzettel.outbox",
    "laufzettel.mail",
    "laufzettel.sla",
    "laufzettel.api",
    "laufzettel.portal",
    "laufzettel.desk",
    "laufzettel.ops",
    "django_htmx",
    "template_partials",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "laufzettel.lib.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "laufzettel.urls"
WSGI_APPLICATION = "laufzettel.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        # Plain-text mail templates: no HTML escaping of names or quoted customer text.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

# --- Database: SQLite (WAL) by default, PostgreSQL via DATABASE_URL -------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # LAUFZETTEL_SQLITE_PATH puts the database elsewhere (tests point worker processes at
            # the test database with it).
            "NAME": env_path("LAUFZETTEL_SQLITE_PATH", HOME / "laufzettel.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE takes the write lock when a transaction starts, so two writers never
                # read the same ticket and then overwrite each other (SQLite has no row locks).
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # Tests that start a worker process need a database file both processes can open.
            "TEST": {"NAME": str(HOME / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Passwords and sessions -----------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "desk:home"
LOGOUT_REDIRECT_URL = "login"

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
MEDIA_ROOT = HOME / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Email ----------------------------------------------------------------------------------
_email = parse_email_url(env_str("EMAIL_URL", "file://"), default_file_path=HOME / "sent-mail")
EMAIL_BACKEND = _email.backend
EMAIL_HOST = _email.host
EMAIL_PORT = _email.port
EMAIL_HOST_USER = _email.user
EMAIL_HOST_PASSWORD = _email.password
EMAIL_USE_TLS = _email.use_tls
EMAIL_USE_SSL = _email.use_ssl
EMAIL_TIMEOUT = _email.timeout
EMAIL_FILE_PATH = _email.file_path
DEFAULT_FROM_EMAIL = env_str("LAUFZETTEL_FROM_EMAIL", "Support <support@laufzettel.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Laufzettel -----------------------------------------------------------------------------
# Domain used on the right of every Message-ID we generate; must be ours so replies find us.
LAUFZETTEL_MAIL_DOMAIN = env_str("LAUFZETTEL_MAIL_DOMAIN", "laufzettel.localhost")
LAUFZETTEL_FOLLOW_UP_DAYS = env_int("LAUFZETTEL_FOLLOW_UP_DAYS", 7)
LAUFZETTEL_OUTBOX_MAX_ATTEMPTS = env_int("LAUFZETTEL_OUTBOX_MAX_ATTEMPTS", 10)
LAUFZETTEL_WORKER_POLL_SECONDS = env_int("LAUFZETTEL_WORKER_POLL_SECONDS", 2)

# --- Mail channel (inbound) ----------------------------------------------------------------
# Where ``laufzettel mail ingest`` spools piped messages for the worker (no Django start-up).
LAUFZETTEL_MAIL_SPOOL = env_path("LAUFZETTEL_MAIL_SPOOL", HOME / "spool" / "mail")
# Larger attachments are not stored as files; the raw message keeps them, the article says so.
LAUFZETTEL_MAIL_MAX_ATTACHMENT_BYTES = env_int("LAUFZETTEL_MAIL_MAX_ATTACHMENT_BYTES", 25_000_000)
# Automatic answers (acknowledgements) per sender address and hour, against mail loops.
LAUFZETTEL_MAIL_AUTO_REPLY_LIMIT = env_int("LAUFZETTEL_MAIL_AUTO_REPLY_LIMIT", 5)
# Further addresses of ours besides LAUFZETTEL_FROM_EMAIL: mail from them is a loop, not a request.
LAUFZETTEL_MAIL_OWN_ADDRESSES = env_list("LAUFZETTEL_MAIL_OWN_ADDRESSES", [])
# Stored messages filed per transaction by the worker (one commit per batch, not per message).
LAUFZETTEL_MAIL_BATCH = env_int("LAUFZETTEL_MAIL_BATCH", 20)

# --- SLA and timers -------------------------------------------------------------------------
# Default share of an SLA or OLA time at which the owning team is warned.
LAUFZETTEL_SLA_WARN_PERCENT = env_int("LAUFZETTEL_SLA_WARN_PERCENT", 80)
# German state whose public holidays the default calendar (tickets without a policy) observes.
LAUFZETTEL_SLA_HOLIDAY_STATE = env_str("LAUFZETTEL_SLA_HOLIDAY_STATE", "")
# An unanswered question is reminded after this many business days ...
LAUFZETTEL_SLA_REMINDER_DAYS = env_int("LAUFZETTEL_SLA_REMINDER_DAYS", 3)
# ... and this many business days after the reminder the ticket is resolved (or only recorded).
LAUFZETTEL_SLA_AUTO_RESOLVE_DAYS = env_int("LAUFZETTEL_SLA_AUTO_RESOLVE_DAYS", 5)
LAUFZETTEL_SLA_AUTO_RESOLVE = env_bool("LAUFZETTEL_SLA_AUTO_RESOLVE", True)
# The user automatic changes (auto-resolve, auto-escalation) are recorded under.
LAUFZETTEL_SLA_SYSTEM_USER = env_str("LAUFZETTEL_SLA_SYSTEM_USER", "laufzettel-system")
# Timers fired per claim (one transaction); a round repeats claims until nothing is due.
LAUFZETTEL_SLA_TIMER_BATCH = env_int("LAUFZETTEL_SLA_TIMER_BATCH", 100)

# --- API and webhooks -----------------------------------------------------------------------
# Requests per minute one token (or one signed-in browser) may make; a token may set its own.
LAUFZETTEL_API_RATE_LIMIT = env_int("LAUFZETTEL_API_RATE_LIMIT", 600)
# Webhook deliveries: attempts before a delivery is marked failed, seconds to wait for an answer.
LAUFZETTEL_WEBHOOK_MAX_ATTEMPTS = env_int("LAUFZETTEL_WEBHOOK_MAX_ATTEMPTS", 10)
LAUFZETTEL_WEBHOOK_TIMEOUT = env_int("LAUFZETTEL_WEBHOOK_TIMEOUT", 10)
# The interactive API docs use django-ninja's bundled assets, so the strict CSP can stay.
INSTALLED_APPS.append("ninja")

# --- Web interface (desk, portal) -----------------------------------------------------------
# Failed logins allowed per user name (and, times four, per client address) in the window before
# the login form refuses further tries until the window has passed.
LAUFZETTEL_LOGIN_MAX_FAILURES = env_int("LAUFZETTEL_LOGIN_MAX_FAILURES", 5)
LAUFZETTEL_LOGIN_WINDOW_MINUTES = env_int("LAUFZETTEL_LOGIN_WINDOW_MINUTES", 15)
# How long an emailed portal login link stays valid (it also works only once).
LAUFZETTEL_PORTAL_LINK_MINUTES = env_int("LAUFZETTEL_PORTAL_LINK_MINUTES", 30)
# How long an agent counts as "on this ticket" after the last sign of life of their page.
LAUFZETTEL_PRESENCE_SECONDS = env_int("LAUFZETTEL_PRESENCE_SECONDS", 60)

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
# Production runs behind TLS: HTTPS-only cookies, HSTS, redirect (LAUFZETTEL_HTTPS=0 disables).
_HTTPS = env_bool("LAUFZETTEL_HTTPS", not DEBUG and bool(env_str("SECRET_KEY")))
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = _HTTPS and env_bool("LAUFZETTEL_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if _HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
if env_bool("LAUFZETTEL_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "laufzettel": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    },
}
