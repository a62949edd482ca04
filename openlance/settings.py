"""Settings for Openlance, read from the environment (12-factor).

Every variable is documented in README.md; defaults give a working embedded set-up
(SQLite under var/, console email, Huey on SQLite) with no configuration at all.
"""

import os
import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("OPENLANCE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
)

DEBUG = env("DEBUG")
# Signs sessions, password-reset links and CSRF tokens: a production site must have its own.
# The development key is used only where no one is served with it: with DEBUG on, under
# pytest (which sets PYTEST_VERSION) and in mypy's Django plugin. Anything else, DEBUG off
# with no SECRET_KEY (gunicorn, the Huey worker, manage.py), refuses to start. `make run`
# and the other make targets pass the development key explicitly. Its "django-insecure-"
# prefix makes `manage.py check --deploy` warn (security.W009) wherever it is in use.
DEVELOPMENT_SECRET_KEY = "django-insecure-openlance-development-key-not-for-production-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or "PYTEST_VERSION" in os.environ or "mypy" in sys.modules):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off Openlance needs its own secret key: set "
            "SECRET_KEY in the environment to 50 or more random characters, e.g. the output "
            "of: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'. "
            "(For development only, DEBUG=true uses a built-in insecure key.)"
        )
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Before allauth so that our templates (its layouts and form elements) win.
    "openlance.web",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "django_htmx",
    "django_countries",
    "ninja",
    "huey.contrib.djhuey",
    "openlance.core",
    "openlance.ledger",
    "openlance.accounts",
    "openlance.catalog",
    "openlance.search",
    "openlance.profiles",
    "openlance.jobs",
    "openlance.connects",
    "openlance.messaging",
    "openlance.proposals",
    "openlance.saved",
    "openlance.billing",
    "openlance.contracts",
    "openlance.reviews",
    "openlance.reputation",
    "openlance.disputes",
    "openlance.insights",
    "openlance.notifications",
    "openlance.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Answers malformed API requests (a target too long, NUL or bad percent-encoding, a
    # Content-Length that is no number or too big) before any session, CSRF, token or
    # idempotency work; and gives a 405 the API's problem+json shape on the way out.
    "openlance.api.middleware.ApiRequestProblemMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "openlance.accounts.middleware.BearerTokenMiddleware",
    "openlance.core.idempotency.IdempotencyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "openlance.urls"
FORM_RENDERER = "openlance.core.forms.SiteFormRenderer"
WSGI_APPLICATION = "openlance.wsgi.application"

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
                "openlance.connects.context_processors.connects_header",
                "openlance.notifications.context_processors.notifications_header",
            ],
        },
    },
    {
        # Only for the long result lists and the layout's header and footer, which Django's
        # engine renders too slowly, found in <app>/jinja2/ and pulled into pages by
        # `{% jinja_include %}` and `{% site_header %}` (openlance/web/jinja.py).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "openlance.web.jinja.environment"},
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'openlance.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # SQLite's own page cache is 2 MiB a connection by default, so a search that reads a
        # few thousand rows went to the operating system for most pages: 64 MiB keeps the
        # search tables and indexes in the process (`make bench-search` halved).
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA cache_size=-65536;"
        ),
    }
    # A connection, and the pages it has cached, outlives the request (a new one each
    # request started every search from a cold cache).
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "openlance_cache",
        }
    }
# Drawn fragments whose key names everything they are drawn from (the search pages' filter
# panels: the catalog's version and the choices made), so no process can hold a stale one:
# each keeps its own in memory instead of fetching 30 KB from Redis or the database a page.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "openlance-fragments",
    # A key per choice of filters, some typed (amounts): the oldest go past this many.
    "OPTIONS": {"MAX_ENTRIES": 300},
}

HUEY_IMMEDIATE = env.bool("HUEY_IMMEDIATE", default=False)
HUEY = {
    "name": "openlance",
    "immediate": HUEY_IMMEDIATE,
    "utc": True,
    # A task lock (`lock_task`) outlives a consumer killed mid-task (SIGKILL, OOM, power
    # loss) and would stop that periodic job for good, so a starting consumer clears them
    # all: with several consumers, the locks a live one holds too, and that task may then
    # run twice at once for a while. The locked periodic tasks are run_due rules keyed by
    # their business events (idempotency keys, unique rows, row locks), so an overlapping
    # run makes nothing twice. The outbox drain's lock goes too: two drains may overlap
    # briefly. Each takes an event with skip_locked and delivers it once, but across the
    # overlap the order is not strict (a later event may go out before an earlier one the
    # other drain holds).
    "consumer": {
        "workers": env.int("HUEY_WORKERS", default=2),
        "worker_type": "thread",
        "flush_locks": True,
    },
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3")})

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_ADAPTER = "openlance.accounts.adapter.AccountAdapter"
SIGN_IN_COUNTRY_HEADER = env.str("SIGN_IN_COUNTRY_HEADER", default="CF-IPCountry")
ACCOUNT_SIGNUP_FORM_CLASS = "openlance.accounts.forms.SignupForm"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_RATE_LIMITS = {"signup": "20/m/ip", "login_failed": "10/m/ip,5/5m/key"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Openlance] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Openlance"

# Five failed sign-ins to one account from one address lock that account out from that
# address for an hour. Keyed on the pair, never on the address alone (failures against one
# account must not keep other people who share the address, an office or a carrier's NAT,
# out of theirs) nor on the account alone (anyone could then lock anyone out). Guessing one
# account from many addresses is capped by allauth's "5/5m/key" (ACCOUNT_RATE_LIMITS).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "openlance.accounts.lockout.username_from_credentials"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False
RATELIMIT_VIEW = "openlance.web.views.rate_limited"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Openlance <no-reply@openlance.local>")

PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="sandbox")
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
# Stripe Elements draws the card form in the browser with this key (pk_live_…, pk_test_…).
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# Openlance ships in English only. With this off Django skips its translation machinery, which
# looked up the active language on every string a page rendered: a tenth of the find-work
# page's time (Django's documented advice for sites that are not translated).
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "openlance.core.media_storage.MediaStorage"},
    "staticfiles": {"BACKEND": "openlance.web.static_storage.StaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
# Behind a TLS-terminating proxy (BEHIND_TLS_PROXY=true) trust its X-Forwarded-Proto, send
# plain HTTP to HTTPS and ask browsers to stay on HTTPS (HSTS_SECONDS, 0 turns it off), on
# the marketplace's subdomains too unless HSTS_INCLUDE_SUBDOMAINS=false.
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Joining the browsers' preload list is the operator's own, hard-to-undo decision
        # (HSTS_PRELOAD=true, then submitting the domain); not making it is not a defect.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Given a handler here, `run_huey` adds none of its own (each line would print twice).
    # pypdf warns about every defect of every uploaded PDF it checks: not worth a log line.
    "loggers": {
        "huey": {"handlers": ["console"], "propagate": False},
        "pypdf": {"level": "ERROR"},
    },
}
