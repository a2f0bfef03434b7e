"""Django settings, read from environment variables (see docs/configuration.md)."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from pilotis.core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("PILOTIS_VAR_DIR", str(Path.cwd() / "var")))

DEBUG = env_bool("PILOTIS_DEBUG", False)


def _secret_key() -> str:
    key = env_str("PILOTIS_SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "PILOTIS_SECRET_KEY est obligatoire hors mode démonstration (PILOTIS_DEBUG=false)."
        )
    # Demo and tests: a key generated once and kept beside the embedded database.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        # Written whole under another name, then linked: processes starting together (test
        # workers, the server and its task worker) never read a half-written key, and all
        # keep the first one.
        draft = VAR_DIR / f".secret_key.{os.getpid()}"
        draft.write_text(secrets.token_urlsafe(50))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("PILOTIS_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "widget_tweaks",
    "dsfr",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "simple_history",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "pilotis.core",
    "pilotis.accounts",
    "pilotis.plans",
    "pilotis.importers",
    "pilotis.api",
    "pilotis.followup",
    "pilotis.reports",
    "pilotis.observatory",
    "pilotis.directory",
    "pilotis.home",
    "pilotis.governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Gives request.user.is_verified(): signed in with the second factor.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A NUL in the address: 404 (path) or 400 (query) before any view or database sees it (after
    # the user and messages, which the error pages show).
    "pilotis.core.middleware.RefuseNulMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy header (django-csp): see CONTENT_SECURITY_POLICY below.
    "csp.middleware.CSPMiddleware",
    # Lets the history record who made a change saved during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a lockout into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pilotis.urls"

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
                # Replaces dsfr.context_processors.site_config, which queries the DB per page.
                "pilotis.core.context_processors.site_config",
                "pilotis.plans.context_processors.plan_permissions",
                "pilotis.accounts.context_processors.account_links",
            ],
        },
    },
]

WSGI_APPLICATION = "pilotis.wsgi.application"

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL is None:
    # The embedded default: a SQLite file beside the other local state.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'pilotis.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rendered report files (reports.files), shared by every worker process through the disk.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "reports": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": env_str("PILOTIS_REPORT_CACHE_DIR", str(VAR_DIR / "cache" / "reports")),
        "OPTIONS": {"MAX_ENTRIES": env_int("PILOTIS_REPORT_CACHE_ENTRIES", 500)},
    },
}

# Background tasks (django-tasks, the backport of Django 6's django.tasks): report files, imports
# and reminders run in `pilotis db_worker`, out of the web request. The database backend needs no
# broker; "immediate" runs a task at once in the process that asks for it (tests, scripts).
TASKS_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_tasks_backend = env_str("PILOTIS_TASKS_BACKEND", "database")
if _tasks_backend not in TASKS_BACKENDS:
    raise ImproperlyConfigured(
        f"PILOTIS_TASKS_BACKEND vaut « {_tasks_backend} » : valeurs possibles "
        + ", ".join(TASKS_BACKENDS)
        + "."
    )
TASKS = {"default": {"BACKEND": TASKS_BACKENDS[_tasks_backend], "QUEUES": ["default"]}}
# A task still queued after this many seconds means that no worker is running: the page says so.
PILOTIS_WORKER_WAIT_SECONDS = env_int("PILOTIS_WORKER_WAIT_SECONDS", 20)

# django-axes first: it refuses to even check the password of a locked-out client.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Argon2 for new and changed passwords; the PBKDF2 hashes still verify (and are upgraded on login).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The interface is French only, whatever language the browser asks for.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("PILOTIS_STATIC_ROOT", str(VAR_DIR / "static")))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home:home"
LOGOUT_REDIRECT_URL = "home:home"

# Where `pilotis seed_demo` finds the seed documents.
SEEDS_DIR = Path(env_str("PILOTIS_SEEDS_DIR", str(Path.cwd().parent / "shared" / "seeds")))

# Uploaded documents are read in memory: a signed contract is a few MB at most.
MAX_UPLOAD_MB = env_int("PILOTIS_MAX_UPLOAD_MB", 20)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_MB * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_MB * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("PILOTIS_SESSION_AGE_SECONDS", 8 * 3600)
# On a shared office computer, closing the browser should sign out whoever forgot to.
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("PILOTIS_SESSION_EXPIRE_AT_BROWSER_CLOSE", True)

# Lockout after repeated failed logins (django-axes), per username and client address: agents
# of one organisation often share an address, so an address alone must not lock them all out.
AXES_FAILURE_LIMIT = env_int("PILOTIS_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PILOTIS_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "pilotis.accounts.views.lockout"
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_TIME.total_seconds() <= 0:
    raise ImproperlyConfigured(
        "PILOTIS_LOGIN_FAILURE_LIMIT et PILOTIS_LOGIN_COOLOFF_MINUTES doivent être positifs."
    )

# History (django-simple-history): a change reason names the document of an import, which may be
# longer than the library's default 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Second factor (django-otp, TOTP): the name authenticator apps show beside the code.
OTP_TOTP_ISSUER = "Pilotis"

# Invitations by e-mail: how long the link works.
INVITATION_DAYS = env_int("PILOTIS_INVITATION_DAYS", 7)

# Directory of resources: an entry not verified for this many months is listed for the
# coordinator; a verification link sent to a structure stays valid this many days.
DIRECTORY_STALE_MONTHS = env_int("PILOTIS_DIRECTORY_STALE_MONTHS", 12)
DIRECTORY_LINK_DAYS = env_int("PILOTIS_DIRECTORY_LINK_DAYS", 30)
if INVITATION_DAYS < 1:
    raise ImproperlyConfigured("PILOTIS_INVITATION_DAYS doit valoir au moins 1.")

# The site's public address, for links in e-mails sent outside any request (the follow-up
# reminders, run by cron): there is no request host to build them from.
PILOTIS_BASE_URL = env_str("PILOTIS_BASE_URL", "http://127.0.0.1:8000" if DEBUG else None)
if PILOTIS_BASE_URL is not None:
    PILOTIS_BASE_URL = PILOTIS_BASE_URL.rstrip("/")
    if not PILOTIS_BASE_URL.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            f"PILOTIS_BASE_URL vaut « {PILOTIS_BASE_URL} » : attendu une adresse commençant par "
            "https://, par exemple https://pilotis.exemple.fr."
        )

# E-mail (invitations, password reset) through an SMTP relay; the demo prints them instead.
_email_host = env_str("PILOTIS_EMAIL_HOST")
if _email_host is None and DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# Without a named relay, the server's own mail transfer agent, reached without TLS on port 25.
EMAIL_HOST = _email_host or "localhost"
EMAIL_USE_TLS = env_bool("PILOTIS_EMAIL_USE_TLS", _email_host is not None)
EMAIL_PORT = env_int("PILOTIS_EMAIL_PORT", 587 if EMAIL_USE_TLS else 25)
EMAIL_HOST_USER = env_str("PILOTIS_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("PILOTIS_EMAIL_HOST_PASSWORD", "")
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("PILOTIS_DEFAULT_FROM_EMAIL", "Pilotis <ne-pas-repondre@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
# A refused CSRF check answers JSON under /api/ and Django's page elsewhere.
CSRF_FAILURE_VIEW = "pilotis.api.errors.csrf_failure"

# Content-Security-Policy (django-csp): every script, style, font and image comes from Pilotis
# itself (the DSFR ships its assets in the package). No inline script or style attribute is
# allowed; the DSFR's own scripts are files, given the request's nonce by its base template. Its
# stylesheet draws a few icons as data: URIs, hence data: for images only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("PILOTIS_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("PILOTIS_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Observatory: a commune's value resting on fewer cases than this is not shown (secret statistique).
OBSERVATORY_SECRET_THRESHOLD = env_int("PILOTIS_OBSERVATORY_SECRET_THRESHOLD", 11)
