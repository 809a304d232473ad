"""Lending settings: one module, configured by environment variables.

With nothing set, the app runs on an embedded SQLite database with Celery tasks executed eagerly,
so `make run` needs no server. Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL,
REDIS_URL and EMAIL_URL (see README).
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
# A throw-away demonstration (docker compose with LENDING_DEMO=1): demo data and the public development key.
LENDING_DEMO = env.bool("LENDING_DEMO", default=False)
_DEV_SECRET = "django-insecure-dev-only-key-do-not-use-in-production-0123456789"  # noqa: S105
# An empty SECRET_KEY (compose passes `${SECRET_KEY:-}`) counts as unset.
SECRET_KEY = env.str("SECRET_KEY", default="") or (_DEV_SECRET if DEBUG or LENDING_DEMO else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off (in .env for docker compose; LENDING_DEMO=1 for a throw-away demo)"
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- applications: Django / third party / local -------------------------------------------------
INSTALLED_APPS = [
    "lending.core.apps.LendingAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "axes",
    "csp",
    "lending.core",
    "origination",
    "servicing",
    "crm",
]

MIDDLEWARE = [
    "lending.core.middleware.RequestIdMiddleware",
    # Before host validation and the HTTPS redirect: a container healthcheck calls http://127.0.0.1:8000/healthz.
    "lending.core.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "lending.core.middleware.CSPMiddleware",  # django-csp's, its header built once per policy
    "lending.core.middleware.NoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "lending.core.middleware.RejectNulBytesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes last, as its docs require, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lending.urls"
WSGI_APPLICATION = "lending.wsgi.application"
ASGI_APPLICATION = "lending.asgi.application"

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
                "lending.core.context_processors.navigation",
            ],
            # {{ amount|money }} everywhere, no {% load %}; and Django's date filter, remembered for calendar dates
            "builtins": ["lending.core.templatetags.money", "lending.core.templatetags.dates"],
        },
    },
]

# --- data ------------------------------------------------------------------------------------------
VAR_DIR = BASE_DIR / "var"
if not env.str("DATABASE_URL", default=""):
    # The embedded SQLite database lives in var/; a fresh clone has none yet (and `make lint` would warn).
    VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# Persistent connections: a new PostgreSQL connection costs 5-15 ms per request (issue 15). Health checks test a
# reused connection before the request's first query, so a restarted database costs one reconnect, not a 500.
# SQLite opens a file, not a connection: there it stays per request (0).
DATABASES["default"]["CONN_MAX_AGE"] = env.int(
    "CONN_MAX_AGE", default=0 if DATABASES["default"]["ENGINE"].endswith("sqlite3") else 60
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # No JIT compilation: the planner's estimates for the pages' correlated subqueries and counts cross
    # jit_above_cost, and compiling costs 10-140 ms (measured on the queue and the dashboard) for queries that run
    # in a few. JIT pays off only for long analytical queries; a statement that gains can SET LOCAL jit = on.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    # Server-side parameter binding, and a statement prepared once a connection has run it five times (psycopg's
    # prepare_threshold; Django leaves it off): the hot paths (a payment's posting, a page's queries over a
    # persistent connection) are parsed and planned once per connection, not on every run. A payment's posting
    # took about a third less database CPU (issue 15). Off behind a transaction pooler (PgBouncer), which cannot
    # keep a connection's prepared statements.
    if env.bool("DB_SERVER_SIDE_BINDING", default=True):
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = env.int("DB_PREPARE_THRESHOLD", default=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Two concurrent writes (a double submit) would otherwise fail with "database is locked": IMMEDIATE takes
    # the write lock when the transaction begins, and the second waits up to `timeout` seconds for it.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})

# --- auth --------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, reading the user's roles with the user (sessions of ModelBackend, before it, sign in again)
    "lending.core.auth.RoleLoadingModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:after-login"
LOGOUT_REDIRECT_URL = "core:landing"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed-login lockout (django-axes): 5 failures for one account lock it for an hour.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
# Locked per account (from any address) and per account and address; the email is counted lower-cased, so
# "PROBE@example.com" and "probe@example.com" share one count, as they share one account.
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "lending.core.auth.axes_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# The login form posts the email in its "username" field (Django's AuthenticationForm).
AXES_USERNAME_FORM_FIELD = "username"

# --- i18n / time --------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
# One language (no LocaleMiddleware, no catalogs of our own): translation off. On, every number, date and URL a
# page renders asked the request's active language through a thread-local (reverse() three times): 30 % of a
# table's rendering and of reverse(), for the same English output (issue 15, "Load").
USE_I18N = False
USE_TZ = True

# --- static and media ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "lending.core.staticfiles.ManifestStaticFilesStorage"  # WhiteNoise's, each URL worked out once
    },
}

# --- email ------------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Lending <no-reply@lending.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- celery -------------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Django's cache: each process's memory by default; in production a shared one (CACHE_URL, e.g. Redis), so
# counters such as the contact form's rate limit hold across web processes.
CACHE_URL = env.str("CACHE_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Sessions: with a shared cache, read from it and written through to the database (Django's cached_db, going on
# from the database while the cache is down: lending/core/sessions.py), so a
# signed-in request needs no session query (issue 15, "Load"); the database keeps them across a cache restart.
# Not with the per-process default: a session signed out in one web process would live on in another's memory.
SESSION_ENGINE = "lending.core.sessions" if CACHE_URL else "django.contrib.sessions.backends.db"
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without a broker, tasks run in-process so the embedded default needs no server.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TIMEZONE = TIME_ZONE
# The one place the nightly schedule lives; later issues add the close-of-business steps here.
CELERY_BEAT_SCHEDULE = {
    "core-heartbeat": {"task": "core.ping", "schedule": crontab(minute="*/15")},
    # The close of business for every business date due (README "Nightly close of business"), at 01:00 local.
    "servicing-nightly": {"task": "servicing.nightly_close", "schedule": crontab(hour=1, minute=0)},
    # The day's paper mail (README "Borrower documents"), after the close of business has made its notices.
    "servicing-print-batch": {"task": "servicing.print_batch", "schedule": crontab(hour=3, minute=0)},
    # The reports' monthly portfolio figures (README "Reports"), for the months the close of business changed.
    "servicing-portfolio-months": {
        "task": "servicing.portfolio_months_refresh",
        "schedule": crontab(hour=2, minute=30),
    },
    # The collections dashboard's closed months (README "Dashboard and export"), counted once after the close.
    "servicing-roll-rates-keep": {"task": "servicing.roll_rates_keep", "schedule": crontab(hour=2, minute=45)},
    # Merge the per-account daily totals the day's postings added (the as-of trial balance reads them).
    "servicing-ledger-daily-compact": {"task": "servicing.ledger_daily_compact", "schedule": crontab(hour=4, minute=0)},
    # Each loan officer's CRM follow-ups due today, one email each, before the working day (README "CRM").
    "crm-task-reminders": {"task": "crm.task_reminders", "schedule": crontab(hour=7, minute=0)},
    "crm-lead-counts-compact": {"task": "crm.lead_counts_compact", "schedule": crontab(hour=4, minute=10)},
    # Campaign emails due (README "CRM: campaigns"): enroll by the rules, claim due steps, send in chunks.
    "crm-campaigns-dispatch": {"task": "crm.campaigns_dispatch", "schedule": crontab(minute="*/15")},
    # Past clients' anniversary check-ins and refinance alerts, before the working day.
    "crm-past-client-follow-ups": {"task": "crm.past_client_follow_ups", "schedule": crontab(hour=6, minute=30)},
}
# Borrower documents (notices, escrow statements, their delivery, the print batch) go to their own queue, so
# rendering PDFs never slows the close of business on the default queue: `make worker` and docker compose consume
# both; a larger installation runs separate workers per queue (`celery -A lending worker -Q documents`).
DOCUMENTS_QUEUE = "documents"
CELERY_TASK_ROUTES = {
    "servicing.notice_make": {"queue": DOCUMENTS_QUEUE},
    "servicing.notices_make": {"queue": DOCUMENTS_QUEUE},
    "servicing.document_deliver": {"queue": DOCUMENTS_QUEUE},
    "servicing.print_batch": {"queue": DOCUMENTS_QUEUE},
    "servicing.escrow_initial_statement": {"queue": DOCUMENTS_QUEUE},
    "servicing.escrow_annual_statements": {"queue": DOCUMENTS_QUEUE},
    "servicing.early_intervention_letters_make": {"queue": DOCUMENTS_QUEUE},
}
# A "running" close of business without progress for this long was killed: it may be started again.
NIGHTLY_STALE_AFTER = env.int("NIGHTLY_STALE_AFTER", default=15 * 60)

# --- security -----------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Only the docker compose demo over plain http turns this off.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp): scripts only from our own static files, never inline, so injected
# markup cannot run. Styles allow 'unsafe-inline': Django's admin and htmx's indicator style use style
# attributes and <style> elements, and inline CSS cannot run code. Bootstrap draws its icons as data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Pages under these prefixes show personal or financial data: browsers and proxies must not store them.
LENDING_NO_STORE_PATH_PREFIXES = ("/portal/", "/staff/", "/admin/", "/accounts/", "/apply/")

# --- forms --------------------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- lending ------------------------------------------------------------------------------------------
# Business-day calendar: the `holidays` package's country and subdivision (US federal by default).
LENDING_HOLIDAY_COUNTRY = env.str("LENDING_HOLIDAY_COUNTRY", default="US")
LENDING_HOLIDAY_SUBDIVISION = env.str("LENDING_HOLIDAY_SUBDIVISION", default="") or None
# Credit bureau adapter (dotted path to a origination.credit.CreditBureau class); the default is test data only.
LENDING_CREDIT_BUREAU = env.str("LENDING_CREDIT_BUREAU", default="origination.credit.sandbox.SandboxBureau")
# ACH processor adapter (dotted path to a servicing.ach_processor.base.AchProcessor class); the default is a
# sandbox that moves no money. Settlement lag: a payment scheduled on day S settles (posts) S + N business days.
LENDING_ACH_PROCESSOR = env.str("LENDING_ACH_PROCESSOR", default="servicing.ach_processor.sandbox.SandboxAchProcessor")
LENDING_ACH_SETTLEMENT_DAYS = env.int("LENDING_ACH_SETTLEMENT_DAYS", default=1)
# Autopay is suspended after this many returned drafts (at the first one for a closed or unauthorized account).
LENDING_ACH_RETURNS_BEFORE_SUSPENSION = env.int("LENDING_ACH_RETURNS_BEFORE_SUSPENSION", default=2)
# Our bank and company as the NACHA file names them (the defaults are placeholders: set them for a real bank).
LENDING_ACH_ORIGINATOR = {
    "company_name": env.str("LENDING_ACH_COMPANY_NAME", default="LENDING MORTGAGE"),
    "company_id": env.str("LENDING_ACH_COMPANY_ID", default="1123456789"),
    "odfi_routing": env.str("LENDING_ACH_ODFI_ROUTING", default="011000015"),
    "destination_routing": env.str("LENDING_ACH_DESTINATION_ROUTING", default="011000015"),
    "destination_name": env.str("LENDING_ACH_DESTINATION_NAME", default="FEDERAL RESERVE BANK"),
    "origin_name": env.str("LENDING_ACH_ORIGIN_NAME", default="LENDING MORTGAGE CO"),
}
# The creditor named on adverse-action notices, and the ECOA agency for its notice (Reg B 1002.9(b)(1), App. A).
LENDING_CREDITOR_NAME = env.str("LENDING_CREDITOR_NAME", default="Lending Mortgage Company")
LENDING_CREDITOR_ADDRESS = env.str("LENDING_CREDITOR_ADDRESS", default="100 Main Street, Springfield, IL 62701")
LENDING_ECOA_AGENCY = env.str(
    "LENDING_ECOA_AGENCY", default="Bureau of Consumer Financial Protection, 1700 G Street NW, Washington, DC 20552"
)
# HMDA (Regulation C): the lender's Legal Entity Identifier starts every ULI; the transmittal sheet's contact,
# agency code (FFIEC filing instructions: 1 OCC, 2 FRS, 3 FDIC, 5 NCUA, 7 HUD, 9 CFPB) and tax id. The LEI default
# is a placeholder of the right shape (20 characters): set the real one before filing.
LENDING_LEI = env.str("LENDING_LEI", default="LENDINGPLACEHOLDER00")
LENDING_HMDA_TRANSMITTAL = {
    "institution_name": env.str("LENDING_HMDA_INSTITUTION_NAME", default="Lending Mortgage Company"),
    "contact_name": env.str("LENDING_HMDA_CONTACT_NAME", default="Compliance Officer"),
    "contact_phone": env.str("LENDING_HMDA_CONTACT_PHONE", default="217-555-0100"),
    "contact_email": env.str("LENDING_HMDA_CONTACT_EMAIL", default="compliance@lending.test"),
    "office_street": env.str("LENDING_HMDA_OFFICE_STREET", default="100 Main Street"),
    "office_city": env.str("LENDING_HMDA_OFFICE_CITY", default="Springfield"),
    "office_state": env.str("LENDING_HMDA_OFFICE_STATE", default="IL"),
    "office_zip": env.str("LENDING_HMDA_OFFICE_ZIP", default="62701"),
    "federal_agency": env.str("LENDING_HMDA_FEDERAL_AGENCY", default="9"),
    "tax_id": env.str("LENDING_HMDA_TAX_ID", default="12-3456789"),
}
# Metro 2 credit reporting (servicing.metro2): the furnisher's identification number and program identifiers the
# bureaus assign (sandbox placeholders by default), and the reporter named in the file's header.
LENDING_METRO2 = {
    "identification_number": env.str("LENDING_METRO2_ID", default="SANDBOX0000000000001"),
    "reporter_name": env.str("LENDING_METRO2_REPORTER_NAME", default=LENDING_CREDITOR_NAME),
    "reporter_address": env.str("LENDING_METRO2_REPORTER_ADDRESS", default=LENDING_CREDITOR_ADDRESS),
    "reporter_telephone": env.str("LENDING_METRO2_REPORTER_PHONE", default="217-555-0100"),
    "equifax_program_identifier": env.str("LENDING_METRO2_EQUIFAX_ID", default=""),
    "experian_program_identifier": env.str("LENDING_METRO2_EXPERIAN_ID", default=""),
    "transunion_program_identifier": env.str("LENDING_METRO2_TRANSUNION_ID", default=""),
    "innovis_program_identifier": env.str("LENDING_METRO2_INNOVIS_ID", default=""),
}
# Fernet keys for encrypted fields (SSNs), newest first. Required with DEBUG off: a key derived from SECRET_KEY
# would make every SSN unreadable the day SECRET_KEY is rotated. DEBUG (development, tests) uses the public key
# below (the one earlier versions derived from the development SECRET_KEY, so existing dev databases stay readable).
_DEV_FIELD_ENCRYPTION_KEY = "s4vPga79BTVEuMPclEnJwde1-mvpNC6Oy8Z6qWqf23w="  # public: development only
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS", default=[_DEV_FIELD_ENCRYPTION_KEY] if DEBUG or LENDING_DEMO else []
)
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS must be set when DEBUG is off (one or more Fernet keys, newest first; make one with "
        'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")'
    )
# The public contact form: at most this many submissions per address per window (seconds).
CRM_CONTACT_RATE = (env.int("CRM_CONTACT_RATE_COUNT", default=5), env.int("CRM_CONTACT_RATE_WINDOW", default=3600))
# How long an agent's signed status link works (seconds): long enough for a purchase to close.
CRM_STATUS_LINK_MAX_AGE = env.int("CRM_STATUS_LINK_MAX_AGE", default=180 * 24 * 3600)
# A past client's officer gets a refinance alert when the market rate is this many basis points below the loan's.
CRM_REFINANCE_THRESHOLD_BP = env.int("CRM_REFINANCE_THRESHOLD_BP", default=75)
LENDING_CONTACT_EMAIL = env.str("LENDING_CONTACT_EMAIL", default="loans@lending.test")
# What borrower statements and notices print as the servicer's contact (Reg Z 1026.41(d)(7)) and the HUD housing
# counselor line (1026.41(d)(5)(ii), (d)(8)(vii)).
LENDING_SERVICER_PHONE = env.str("LENDING_SERVICER_PHONE", default="1-800-555-0100")  # toll-free
LENDING_PAYMENT_ADDRESS = env.str(
    "LENDING_PAYMENT_ADDRESS",
    default="Lending Mortgage Company, Payment Processing, PO Box 1000, Springfield, IL 62705",
)
LENDING_HUD_COUNSELOR_URL = env.str("LENDING_HUD_COUNSELOR_URL", default="https://www.hud.gov/counseling")
LENDING_HUD_COUNSELOR_PHONE = env.str("LENDING_HUD_COUNSELOR_PHONE", default="1-800-569-4287")
# Largest document upload accepted (bytes); the file's real type is sniffed from its content, never trusted.
LENDING_DOCUMENT_MAX_BYTES = env.int("LENDING_DOCUMENT_MAX_BYTES", default=15 * 1024 * 1024)
# Where links in notification emails point (scheme and host, no trailing slash).
LENDING_SITE_URL = env.str("LENDING_SITE_URL", default="http://127.0.0.1:8000")
LENDING_DEMO_PASSWORD = env.str("LENDING_DEMO_PASSWORD", default="lending-demo-2026")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "lending.core.middleware.RequestIdLogFilter"},
        "client_error": {"()": "lending.core.log_filters.ClientErrorWithoutTraceback"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id", "client_error"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # A 403/404/400 is one line: the client's mistake needs no traceback.
        "django.request": {"filters": ["client_error"]},
        "axes": {"level": "WARNING"},
        # A line per task succeeded: noise in `run_nightly`'s progress bars (a failure is still logged at ERROR).
        "celery.app.trace": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
