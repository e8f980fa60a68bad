"""Roamwise settings: one module, read from the environment.

Every variable is listed in docs/configuration.md. Defaults give a working shop on a fresh
machine: SQLite, a SQLite-backed job queue, mail printed to the console, and a
secret key and keyring generated once in the data folder.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from roamwise.core.env import (
    ensure_secret_file,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_str,
    random_secret,
)
from roamwise.core.keyring import new_keyring_json
from roamwise.core.security import FEATURES_OFF, payment_form_targets
from roamwise.core.stand_ins import stand_in_address, stand_in_ports, stand_ins_named

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("ROAMWISE_DATA_DIR") or BASE_DIR / "var").resolve()

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or ensure_secret_file(DATA_DIR / "secret_key", random_secret)
if env_str("ROAMWISE_KEYRING_FILE"):
    # A keyring given explicitly must exist: a fresh one would silently make
    # every customer's data unreadable.
    KEYRING_FILE = Path(env_str("ROAMWISE_KEYRING_FILE") or "")
    if not KEYRING_FILE.is_file():
        raise ImproperlyConfigured(f"ROAMWISE_KEYRING_FILE={KEYRING_FILE} does not exist.")
else:
    KEYRING_FILE = DATA_DIR / "keyring.json"
    if not KEYRING_FILE.exists():
        ensure_secret_file(KEYRING_FILE, new_keyring_json)

SITE_URL = (env_str("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env_str("SITE_NAME") or "Roamwise"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    # The admin, with its index grouped by task (core.backoffice).
    "roamwise.core.backoffice.BackOfficeConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "allauth.headless",
    "huey.contrib.djhuey",
    # Serves the API docs' Swagger UI from our own static files (CSP: script-src 'self').
    "ninja",
    "roamwise.core",
    "roamwise.datamap",
    "roamwise.vault",
    "roamwise.accounts",
    "roamwise.catalog",
    "roamwise.governance",
    "roamwise.promotions",
    "roamwise.orders",
    "roamwise.payments",
    "roamwise.gateway",
    "roamwise.smdp",
    "roamwise.esims",
    "roamwise.suppliers",
    "roamwise.devices",
    "roamwise.network",
    "roamwise.usage",
    "roamwise.consent",
    "roamwise.analytics",
    "roamwise.notifications",
    "roamwise.support",
    "roamwise.help",
    "roamwise.reports",
    # After the catalogue: its back office adds pricing's actions to the plan list.
    "roamwise.pricing",
    "roamwise.rights",
    "roamwise.retention",
    # Last: its post-migrate step gives roles the permissions of every app above.
    "roamwise.audit",
]

MIDDLEWARE = [
    # Outermost: times every request by its route for /metrics (core/metrics.py).
    "roamwise.core.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (ADR 0015).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Retry-After on allauth's 429 answers (USE-05).
    "roamwise.accounts.ratelimit.RetryAfterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # 413 in the API's JSON shape for an oversized body to a machine endpoint.
    "roamwise.core.middleware.BodyTooLargeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A visitor's safe request may read the catalogue from DATABASE_REPLICA_URL (ADR 0038).
    "roamwise.core.middleware.ReplicaMiddleware",
    # A signed-in customer's own language, over the cookie and Accept-Language.
    "roamwise.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "roamwise.consent.middleware.ConsentMiddleware",
    "roamwise.vault.middleware.KeyCacheMiddleware",
    "roamwise.audit.middleware.RequestIdMiddleware",
    "roamwise.accounts.middleware.StaffMFAMiddleware",
]

# A stand-in's own process serves its URLs only (roamwise.core.stand_ins, ADR 0018).
ROOT_URLCONF = env_str("ROAMWISE_ROOT_URLCONF") or "roamwise.urls"
WSGI_APPLICATION = "roamwise.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "roamwise" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "roamwise.core.context_processors.site",
                "roamwise.consent.context_processors.consent",
                "roamwise.notifications.context_processors.bell",
                "roamwise.governance.context_processors.policy_notice",
                "roamwise.catalog.context_processors.currency",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        _database = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
    if _database["ENGINE"] not in (
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    ):
        raise ImproperlyConfigured("DATABASE_URL must use postgres:// or sqlite:// .")
else:
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "db.sqlite3"),
    }
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the job consumer read while one writes;
    # IMMEDIATE transactions take the write lock up front instead of failing
    # with "database is locked" half-way through.
    _database["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# The key store: subjects' data keys live in their own database, so that a
# backup or copy of the primary holds ciphertext only (ADR 0003).
VAULT_DATABASE_URL = env_str("VAULT_DATABASE_URL")
if VAULT_DATABASE_URL:
    try:
        _vault = dj_database_url.parse(VAULT_DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"VAULT_DATABASE_URL is not a valid database URL: {exc}"
        ) from exc
else:
    _vault = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "vault.sqlite3")}
if _vault["ENGINE"] == "django.db.backends.sqlite3":
    _vault["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
# Tests on SQLite use files, so that tests can read what a disk or a backup holds.
for _alias, _db in (("default", _database), ("vault", _vault)):
    if _db["ENGINE"] == "django.db.backends.sqlite3":
        _db["TEST"] = {"NAME": str(DATA_DIR / f"test-{_alias}.sqlite3")}
        # Kept open across requests, as on PostgreSQL: opening one and its
        # PRAGMAs cost more than most pages' queries (ADR 0016).
        _db.setdefault("CONN_MAX_AGE", 60)
        _db.setdefault("CONN_HEALTH_CHECKS", True)
DATABASES = {"default": _database, "vault": _vault}
# --- Storage location (RET-08, ADR 0013) ---
# The region this deployment's databases are in, disclosed on the policy page;
# an optional EU database keeps EU customers' pinnable records in the EU.
DATA_REGION = env_choice("DATA_REGION", "uk", ("eu", "uk", "us"))
EU_DATABASE_URL = env_str("EU_DATABASE_URL")
if EU_DATABASE_URL:
    try:
        _eu = dj_database_url.parse(EU_DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"EU_DATABASE_URL is not a valid database URL: {exc}") from exc
    if _eu["ENGINE"] == "django.db.backends.sqlite3":
        _eu["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
        _eu["TEST"] = {"NAME": str(DATA_DIR / "test-eu.sqlite3")}
    DATABASES["eu"] = _eu
# --- Read replica (ADR 0038) ---
# A PostgreSQL streaming replica of DATABASE_URL: a visitor's reads of the
# public catalogue go there; everything else, and every write, to the primary.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    try:
        _replica = dj_database_url.parse(
            DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True
        )
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URL is not a valid database URL: {exc}"
        ) from exc
    if _replica["ENGINE"] != "django.db.backends.postgresql" or (
        _database["ENGINE"] != "django.db.backends.postgresql"
    ):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must use postgres:// and replicate a PostgreSQL DATABASE_URL."
        )
    # Tests read the replica as the test database itself: no copy is made.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
# The residency router first: it answers only for pinned models, and only when
# the EU database exists; without it every query goes where it did before. The
# replica router next: it reads only the catalogue's tables there, and keeps
# every migration off the replica (before the vault router allows them).
DATABASE_ROUTERS = [
    "roamwise.kernel.router.ResidencyRouter",
    "roamwise.core.replica.ReplicaRouter",
    "roamwise.vault.router.VaultRouter",
]
# dumpdata and fixtures carry encrypted fields as ciphertext.
SERIALIZATION_MODULES = {"json": "roamwise.vault.serializers"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, jobs ----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix:// .")

if REDIS_URL:
    CACHES = {
        "default": {
            # Django's, except that clear() leaves the job queue and other keys alone.
            "BACKEND": "roamwise.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX") or "roamwise",
        }
    }
else:
    # A database cache is shared by every worker process, which the login
    # throttle needs; the local-memory cache would count per process.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "roamwise_cache",
        }
    }

# Per worker process: catalogue pages and API answers, keyed by the catalogue's
# version held in the shared cache above, so a change shows everywhere at once (ADR 0016).
CACHES["local"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "roamwise-local",
    "OPTIONS": {"MAX_ENTRIES": 2000},  # type: ignore[dict-item]  # CACHES is typed from its first entries
}

HUEY_NAME = env_str("HUEY_NAME") or "roamwise"
_huey_consumer = {"workers": env_int("HUEY_WORKERS", 2, minimum=1), "worker_type": "thread"}
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": HUEY_NAME,
        "url": REDIS_URL,
        "immediate": False,
        "consumer": _huey_consumer,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": HUEY_NAME,
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": False,
        "consumer": _huey_consumer,
    }

# --- Accounts -------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
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
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:settings"

ACCOUNT_ADAPTER = "roamwise.accounts.adapter.AccountAdapter"
HEADLESS_ADAPTER = "roamwise.accounts.adapter.HeadlessAdapter"
# No integer pk in a link: confirmation keys are random (stored, expiring),
# not allauth's signed email-address pk; reset keys name the public id.
ACCOUNT_EMAIL_CONFIRMATION_HMAC = False
ACCOUNT_FORMS = {
    "user_token": "roamwise.accounts.password_reset.PublicIdUserTokenForm",
    "confirm_email_verification_code": "roamwise.accounts.email_code.EmailVerificationCodeForm",
}
ACCOUNT_SIGNUP_FORM_CLASS = "roamwise.accounts.forms.SignupDetailsForm"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
# Mandatory verification: nobody signs in, and so nobody buys, before the
# address is confirmed (ACC-01).
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# By a code typed in the tab that signed up (a traveller reads the email on the
# same phone), which then signs them in and goes on to where they were going.
# Six digits for a phone's number pad; three tries, two new codes, two changes
# of a mistyped address. A change of address staff ask for is still confirmed
# by a link: its owner has no session waiting for a code (ADR 0002).
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_TIMEOUT = 15 * 60
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_CHANGE = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
LOGIN_FAILURES_ALLOWED = env_int("LOGIN_FAILURES_ALLOWED", 5, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"20/m/ip,{LOGIN_FAILURES_ALLOWED}/{LOGIN_LOCKOUT_SECONDS}s/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_ADAPTER = "roamwise.accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_TOTP_ISSUER = SITE_NAME
# One 30-second step either side: phone clocks drift, and a code typed as the
# step turns over should still work.
MFA_TOTP_TOLERANCE = 1
HEADLESS_CLIENTS = ("app",)
HEADLESS_SERVE_SPECIFICATION = True
# Its page runs under our CSP: local Swagger UI, no inline script (ADR 0015).
HEADLESS_SPECIFICATION_TEMPLATE_NAME = "api/allauth_spec.html"
USERSESSIONS_TRACK_ACTIVITY = True

ACCOUNT_DELETION_GRACE_DAYS = env_int("ACCOUNT_DELETION_GRACE_DAYS", 30, minimum=1)
MINIMUM_AGE = env_int("MINIMUM_AGE", 13, minimum=0)
ADULT_AGE = env_int("ADULT_AGE", 18, minimum=1)
PARENTAL_CONSENT_DAYS = env_int("PARENTAL_CONSENT_DAYS", 14, minimum=1)
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION") or "GB"

# --- Email ----------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "Roamwise <hello@roamwise.example>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_SSL and EMAIL_USE_TLS:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on.")
# Where the file backend (django.core.mail.backends.filebased.EmailBackend) writes.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or str(DATA_DIR / "mail")
# Tries of one email (with backoff from 30 s, up to an hour apart) before it is marked failed.
NOTIFICATIONS_EMAIL_MAX_ATTEMPTS = env_int("NOTIFICATIONS_EMAIL_MAX_ATTEMPTS", 8, minimum=1)

# --- Support --------------------------------------------------------------------
# Replies by email reach tickets through a signed address at this domain, which
# the inbound mail provider posts to /support/inbound-email with a signature.
SUPPORT_REPLY_DOMAIN = env_str("SUPPORT_REPLY_DOMAIN") or "reply.roamwise.example"
SUPPORT_INBOUND_SECRET = env_str("SUPPORT_INBOUND_SECRET") or ensure_secret_file(
    DATA_DIR / "support_inbound_secret", random_secret
)
SUPPORT_INBOUND_TOLERANCE = env_int("SUPPORT_INBOUND_TOLERANCE", 300, minimum=1)
SUPPORT_ATTACHMENT_MAX_BYTES = env_int("SUPPORT_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
SUPPORT_ATTACHMENT_MAX_COUNT = env_int("SUPPORT_ATTACHMENT_MAX_COUNT", 3, minimum=0)
SUPPORT_ATTACHMENT_TYPES = env_list(
    "SUPPORT_ATTACHMENT_TYPES",
    ["image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain"],
)
# How long a visitor's confirmation link stays valid; unconfirmed requests go after that.
SUPPORT_VISITOR_CONFIRM_DAYS = env_int("SUPPORT_VISITOR_CONFIRM_DAYS", 7, minimum=1)


# --- Stand-ins for outside parties (ADR 0018) ---------------------------------------
# None unless named: `make run` and the tests name them; production runs without
# (`manage.py check --deploy` fails otherwise). `manage.py serve` runs each named
# one as its own process on 127.0.0.1 at its port, and the shop's outbound
# addresses default to them.
try:
    SIMULATORS = stand_ins_named(env_list("SIMULATORS", []))
    SIMULATOR_PORTS = stand_in_ports(env_str("SIMULATOR_PORTS") or "")
except ValueError as exc:
    raise ImproperlyConfigured(f"SIMULATORS, SIMULATOR_PORTS: {exc}") from exc


def _stand_in(name: str) -> str:
    return stand_in_address(name, running=SIMULATORS, ports=SIMULATOR_PORTS)


# --- Commerce ------------------------------------------------------------------
def _vat_rates(raw: str) -> dict[str, Decimal]:
    rates = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        country, _, rate = item.partition("=")
        try:
            rates[country.strip().upper()] = Decimal(rate)
        except InvalidOperation as exc:
            raise ImproperlyConfigured(f"VAT_RATES: {item!r} is not COUNTRY=RATE") from exc
    return rates


# Rates of the countries where the demo retailer charges VAT; others: DEFAULT_VAT_RATE.
VAT_RATES = _vat_rates(
    env_str("VAT_RATES")
    or "GB=0.20,FR=0.20,DE=0.19,ES=0.21,IT=0.22,NL=0.21,BE=0.21,PT=0.23,IE=0.23,AT=0.20,"
    "PL=0.23,SE=0.25,DK=0.25,FI=0.255,GR=0.24,CZ=0.21,HU=0.27,RO=0.19,HR=0.25"
)
DEFAULT_VAT_RATE = Decimal(env_str("DEFAULT_VAT_RATE") or "0")


def _currencies(codes: list[str], default: str) -> tuple[list[str], str]:
    """The currencies the shop sells in (ISO 4217, at most two decimals: an
    order keeps two), the default first among them."""
    import pycountry
    from babel.numbers import get_currency_precision

    offered = [code.strip().upper() for code in codes if code.strip()]
    for code in [*offered, default]:
        if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
            raise ImproperlyConfigured(f"CURRENCIES/DEFAULT_CURRENCY: {code!r} is not ISO 4217")
        if get_currency_precision(code) > 2:
            raise ImproperlyConfigured(f"CURRENCIES: {code} has more than two decimals")
    if default not in offered:
        raise ImproperlyConfigured(f"DEFAULT_CURRENCY {default} must be one of CURRENCIES")
    return offered, default


# Prices are shown and charged in these; a plan's price in another currency
# than its own comes from its per-currency price or the rate table (ADR 0027).
# DEFAULT_CURRENCY is the rate table's base and what a visitor sees when
# neither their choice nor their country says otherwise.
CURRENCIES, DEFAULT_CURRENCY = _currencies(
    env_list("CURRENCIES", ["USD", "EUR", "GBP", "JPY"]),
    (env_str("DEFAULT_CURRENCY") or "USD").upper(),
)
# Set only when a visitor chooses a currency: a choice they made, kept for a
# year (declared in roamwise/consent/storage.py), as the language cookie.
CURRENCY_COOKIE_NAME = "rw_currency"
CURRENCY_COOKIE_AGE = 365 * 86400
PAYMENT_GATEWAY = env_choice("PAYMENT_GATEWAY", "simulated", ("simulated", "stripe"))
# The simulated hosted gateway (roamwise.gateway), reached over HTTP like any processor:
# its own process when SIMULATORS names it, otherwise wherever this says.
GATEWAY_URL = (env_str("GATEWAY_URL") or _stand_in("gateway")).rstrip("/")
GATEWAY_SECRET_KEY = env_str("GATEWAY_SECRET_KEY") or ensure_secret_file(
    DATA_DIR / "gateway_secret_key", random_secret
)
GATEWAY_WEBHOOK_SECRET = env_str("GATEWAY_WEBHOOK_SECRET") or ensure_secret_file(
    DATA_DIR / "gateway_webhook_secret", random_secret
)
GATEWAY_WEBHOOK_TOLERANCE = env_int("GATEWAY_WEBHOOK_TOLERANCE", 300, minimum=1)
# Real processors repeat and reorder webhooks; so does the simulator, this often.
GATEWAY_DUPLICATE_RATE = env_float("GATEWAY_DUPLICATE_RATE", 0.2, minimum=0, maximum=1)
# The stand-in answers its API this much later, as a slow processor would (load tests).
GATEWAY_LATENCY_SECONDS = env_float("GATEWAY_LATENCY_SECONDS", 0, minimum=0, maximum=30)
STRIPE_API_KEY = env_str("STRIPE_API_KEY") or ""
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET") or ""
STRIPE_API_BASE = env_str("STRIPE_API_BASE") or "https://api.stripe.com"
HTTP_TIMEOUT_SECONDS = env_int("HTTP_TIMEOUT_SECONDS", 10, minimum=1)
# eSIM wholesalers (roamwise.suppliers, ADR 0020). Production uses the real
# endpoints; the stand-ins (manage.py run_supplier_standin) answer on loopback.
SUPPLIER_MAX_RETRY_WAIT = env_float("SUPPLIER_MAX_RETRY_WAIT", 10, minimum=0, maximum=300)
# With its stand-in named in SIMULATORS, a supplier defaults to it, with
# credentials of this installation's own that the stand-in is started with.


def _stand_in_secret(name: str, file: str) -> str:
    return ensure_secret_file(DATA_DIR / file, random_secret) if name in SIMULATORS else ""


ESIMACCESS_API_BASE = (
    env_str("ESIMACCESS_API_BASE") or _stand_in("esimaccess") or "https://api.esimaccess.com"
)
ESIMACCESS_ACCESS_CODE = env_str("ESIMACCESS_ACCESS_CODE") or _stand_in_secret(
    "esimaccess", "esimaccess_standin_access_code"
)
ESIMACCESS_WEBHOOK_TOKEN = env_str("ESIMACCESS_WEBHOOK_TOKEN") or _stand_in_secret(
    "esimaccess", "esimaccess_webhook_token"
)
AIRALO_API_BASE = (
    env_str("AIRALO_API_BASE") or _stand_in("airalo") or "https://partners-api.airalo.com/v2"
)
AIRALO_CLIENT_ID = env_str("AIRALO_CLIENT_ID") or (
    "roamwise-demo" if "airalo" in SIMULATORS else ""
)
AIRALO_CLIENT_SECRET = env_str("AIRALO_CLIENT_SECRET") or _stand_in_secret(
    "airalo", "airalo_standin_client_secret"
)
ESIMGO_API_BASE = (
    env_str("ESIMGO_API_BASE") or _stand_in("esimgo") or "https://api.esim-go.com/v2.4"
)
ESIMGO_API_KEY = env_str("ESIMGO_API_KEY") or _stand_in_secret("esimgo", "esimgo_standin_api_key")
# The currency of our eSIM Go organisation: its prices and balance are in it.
ESIMGO_CURRENCY = env_str("ESIMGO_CURRENCY") or "USD"
ESIMGO_CREDIT_FLOOR = env_float("ESIMGO_CREDIT_FLOOR", 100, minimum=0, maximum=10**9)
# Orders through POST orders-async: the profile arrives at our signed webhook.
AIRALO_ASYNC_ORDERS = env_bool("AIRALO_ASYNC_ORDERS", False)
# Staff are alerted when our prepaid credit at a supplier is below its floor (USD).
AIRALO_CREDIT_FLOOR = env_float("AIRALO_CREDIT_FLOOR", 100, minimum=0, maximum=10**9)
ESIMACCESS_CREDIT_FLOOR = env_float("ESIMACCESS_CREDIT_FLOOR", 100, minimum=0, maximum=10**9)
STAFF_ALERT_EMAIL = env_str("STAFF_ALERT_EMAIL") or "operations@roamwise.example"
if PAYMENT_GATEWAY == "stripe" and not (STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured(
        "PAYMENT_GATEWAY=stripe needs STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET."
    )

# --- eSIM: the SM-DP+ (simulator) -------------------------------------------------
SMDP_ADDRESS = env_str("SMDP_ADDRESS") or "smdp.roamwise.example"
SMDP_IDENTIFIER = env_str("SMDP_IDENTIFIER") or "smdp.roamwise.example"
# Operators the simulator serves, and where it sends their progress notifications.
SMDP_OPERATORS = {
    env_str("SMDP_OPERATOR_ID") or "roamwise": env_str("SMDP_NOTIFICATION_URL")
    or f"{SITE_URL}/esims/es2plus/handleDownloadProgressInfo",
}
# The simulator authenticates its callers (SGP.22 §6.1.1): a client certificate whose
# subject CN is the caller's functionRequesterIdentifier (run_smdp with --client-ca), or
# this shared secret as "Authorization: Bearer", agreed with the operator.
SMDP_OPERATOR_TOKENS = {
    operator: env_str("SMDP_OPERATOR_TOKEN")
    or env_str("ES2PLUS_TOKEN")
    or ensure_secret_file(DATA_DIR / "es2plus_token", random_secret)
    for operator in SMDP_OPERATORS
}

# --- eSIM: the shop's side of ES2+, and the network partner -----------------------
# Base URL of the SM-DP+'s ES2+ endpoints (the stand-in's, when SIMULATORS names it).
ES2PLUS_URL = (env_str("ES2PLUS_URL") or _stand_in("smdp")).rstrip("/")
ES2PLUS_REQUESTER_ID = env_str("ES2PLUS_REQUESTER_ID") or "roamwise"
ES2PLUS_TIMEOUT_SECONDS = env_float("ES2PLUS_TIMEOUT_SECONDS", 15, minimum=0.1, maximum=300)
# Mutual TLS towards a real SM-DP+ (SGP.22 §6.1): our certificate and key, and the CA to trust.
ES2PLUS_CLIENT_CERT = env_str("ES2PLUS_CLIENT_CERT") or ""
ES2PLUS_CLIENT_KEY = env_str("ES2PLUS_CLIENT_KEY") or ""
ES2PLUS_CA_BUNDLE = env_str("ES2PLUS_CA_BUNDLE") or ""
# Where mutual TLS does not identify the shop: the secret the SM-DP+ agreed, sent as
# "Authorization: Bearer" (the simulator's by default; none beside a client certificate).
ES2PLUS_TOKEN = env_str("ES2PLUS_TOKEN") or (
    "" if ES2PLUS_CLIENT_CERT else ensure_secret_file(DATA_DIR / "es2plus_token", random_secret)
)
# Send 19-digit ICCIDs padded with 'F' (SGP.22 §5.2.1; SM-DP+s before v2.2 expect it).
ES2PLUS_ICCID_PADDED = env_bool("ES2PLUS_ICCID_PADDED", False)
# The SM-DP+ offers the vendor extension getProfileStatus (ADR 0006); SGP.22 has no such function.
ES2PLUS_PROFILE_STATUS = env_bool("ES2PLUS_PROFILE_STATUS", False)
# Shared secret the SM-DP+ signs its notifications with, where mutual TLS is not in front.
ES2PLUS_NOTIFICATION_SECRET = env_str("ES2PLUS_NOTIFICATION_SECRET") or ensure_secret_file(
    DATA_DIR / "es2plus_notification_secret", random_secret
)
# Behind a proxy that checks the SM-DP+'s client certificate: the header it sets to SUCCESS.
ES2PLUS_NOTIFICATION_MTLS_HEADER = env_str("ES2PLUS_NOTIFICATION_MTLS_HEADER") or ""
ESIM_PROVISION_MAX_ATTEMPTS = env_int("ESIM_PROVISION_MAX_ATTEMPTS", 6, minimum=1)
# Staff are told (once a day) when fewer profiles of a type are left at the SM-DP+.
ESIM_STOCK_LOW_AT = env_int("ESIM_STOCK_LOW_AT", 20, minimum=0)
NETWORK_PARTNER_URL = (env_str("NETWORK_PARTNER_URL") or _stand_in("network")).rstrip("/")
NETWORK_PARTNER_API_KEY = env_str("NETWORK_PARTNER_API_KEY") or ensure_secret_file(
    DATA_DIR / "network_partner_api_key", random_secret
)
# The secrets this machine made on its own disk because none was given: right
# for a demo, wrong for several instances, which would each make their own.
# A production site refuses to start with any (core.E003).
GENERATED_SECRETS = [
    name
    for name, given in (
        ("SECRET_KEY", env_str("SECRET_KEY")),
        ("ROAMWISE_KEYRING_FILE", env_str("ROAMWISE_KEYRING_FILE")),
        ("SUPPORT_INBOUND_SECRET", env_str("SUPPORT_INBOUND_SECRET")),
        ("ES2PLUS_TOKEN", env_str("ES2PLUS_TOKEN") or ES2PLUS_CLIENT_CERT),
        ("ES2PLUS_NOTIFICATION_SECRET", env_str("ES2PLUS_NOTIFICATION_SECRET")),
        ("NETWORK_PARTNER_API_KEY", env_str("NETWORK_PARTNER_API_KEY")),
    )
    if not given
]

# --- Recovery and fault injection (ADR 0017) ------------------------------------
# Work unfinished this long (a fulfilment, a refund without its answer, a failed
# order without its refund) is taken as lost with its job and run again by the sweeps.
RECOVERY_AFTER_SECONDS = env_int("RECOVERY_AFTER_SECONDS", 300, minimum=1)
# An order left unpaid this long is an abandoned checkout: it expires.
CHECKOUT_EXPIRY_MINUTES = env_int("CHECKOUT_EXPIRY_MINUTES", 120, minimum=1)
# Promotion codes a customer (and a network address) may try in an hour (ADR 0031).
PROMOTION_CODE_ATTEMPTS = env_int("PROMOTION_CODE_ATTEMPTS", 10, minimum=1)
# The stand-ins' fault switch (POST /admin/fault on the SM-DP+, /gateway/v1/admin/fault): for
# fault-injection runs (bench/faults.py) only, never in production.
SIMULATOR_FAULTS = env_bool("SIMULATOR_FAULTS", False)

# --- The seller (terms of sale, invoices, plan pages' structured data) -------------
# Who sells: shown in the terms of sale, the footer's company details and on invoices.
SELLER_LEGAL_NAME = env_str("SELLER_LEGAL_NAME") or "Roamwise Ltd"
SELLER_ADDRESS = env_str("SELLER_ADDRESS") or "1 Example Street, London EC1A 1AA, United Kingdom"
SELLER_REGISTRATION = (
    env_str("SELLER_REGISTRATION") or "Registered in England and Wales, company number 01234567"
)
SELLER_VAT_NUMBER = env_str("SELLER_VAT_NUMBER") or "GB123456789"
# How long an unused eSIM can be refunded in full, before it is installed.
REFUND_UNUSED_DAYS = env_int("REFUND_UNUSED_DAYS", 30, minimum=0)

# --- Privacy contact (POL-03) ---------------------------------------------------
PRIVACY_EMAIL = env_str("PRIVACY_EMAIL") or "privacy@roamwise.example"
PRIVACY_PHONE = env_str("PRIVACY_PHONE") or "+44 20 7946 0000"
PRIVACY_ADDRESS = env_str("PRIVACY_ADDRESS") or "Roamwise Ltd, 1 Example Street, London, UK"
# The customer service hotline and its hours, as the policy promises them (SUP-01, RGT-08).
SUPPORT_PHONE = env_str("SUPPORT_PHONE") or "+44 20 7946 0100"
SUPPORT_HOURS = env_str("SUPPORT_HOURS") or "Monday to Friday, 9:00 to 18:00 (UK time)"
# The supervisory authority customers may complain to (RGT-08).
SUPERVISORY_AUTHORITY_NAME = (
    env_str("SUPERVISORY_AUTHORITY_NAME") or "Information Commissioner's Office (ICO)"
)
SUPERVISORY_AUTHORITY_URL = (
    env_str("SUPERVISORY_AUTHORITY_URL") or "https://ico.org.uk/make-a-complaint/"
)

# --- Data-subject requests (RGT-09) ------------------------------------------------
# Response periods by jurisdiction: "<name>=<n>d" (days) or "<n>m" (calendar months, as
# GDPR Art. 12(3) counts them); the extension each allows once, with a reason.
_PERIOD = re.compile(r"^[1-9][0-9]{0,3}[dm]$")


def _rights_periods(name: str, default: str) -> dict[str, str]:
    periods: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in (env_str(name) or default).split(","))):
        jurisdiction, _, period = item.partition("=")
        jurisdiction, period = jurisdiction.strip().lower(), period.strip().lower()
        if not re.match(r"^[a-z][a-z0-9_]{0,15}$", jurisdiction) or not _PERIOD.match(period):
            raise ImproperlyConfigured(f"{name}: {item!r} is not JURISDICTION=<n>d or <n>m.")
        periods[jurisdiction] = period
    return periods


RIGHTS_RESPONSE_PERIODS = _rights_periods("RIGHTS_RESPONSE_PERIODS", "default=30d,gdpr=1m,ccpa=45d")
RIGHTS_EXTENSION_PERIODS = _rights_periods(
    "RIGHTS_EXTENSION_PERIODS", "default=60d,gdpr=2m,ccpa=45d"
)
RIGHTS_DEFAULT_JURISDICTION = (env_str("RIGHTS_DEFAULT_JURISDICTION") or "default").lower()
if RIGHTS_DEFAULT_JURISDICTION not in RIGHTS_RESPONSE_PERIODS:
    raise ImproperlyConfigured(
        f"RIGHTS_DEFAULT_JURISDICTION={RIGHTS_DEFAULT_JURISDICTION!r} is not in "
        "RIGHTS_RESPONSE_PERIODS."
    )
if set(RIGHTS_EXTENSION_PERIODS) - set(RIGHTS_RESPONSE_PERIODS):
    raise ImproperlyConfigured("RIGHTS_EXTENSION_PERIODS names a jurisdiction with no period.")
try:
    RIGHTS_REMINDER_DAYS = sorted(
        {int(days) for days in env_list("RIGHTS_REMINDER_DAYS", ["7", "2"])}, reverse=True
    )
except ValueError as exc:
    raise ImproperlyConfigured("RIGHTS_REMINDER_DAYS must be whole days, e.g. 7,2") from exc
if any(days < 0 for days in RIGHTS_REMINDER_DAYS):
    raise ImproperlyConfigured("RIGHTS_REMINDER_DAYS cannot be negative.")
RIGHTS_VERIFY_HOURS = env_int("RIGHTS_VERIFY_HOURS", 48, minimum=1)
RIGHTS_DOWNLOAD_HOURS = env_int("RIGHTS_DOWNLOAD_HOURS", 72, minimum=1)
RIGHTS_PUBLIC_FORM_LIMIT = env_int("RIGHTS_PUBLIC_FORM_LIMIT", 5, minimum=1)
RIGHTS_EVIDENCE_MAX_BYTES = env_int("RIGHTS_EVIDENCE_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
RIGHTS_EVIDENCE_MAX_COUNT = env_int("RIGHTS_EVIDENCE_MAX_COUNT", 3, minimum=0)


# Data protection officer and EU representative (POL-03), shown on the policy
# and complaints pages; an empty EU representative name leaves that block out.
DPO_NAME = env_str("DPO_NAME") or "Data Protection Officer, Roamwise Ltd"
DPO_EMAIL = env_str("DPO_EMAIL") or "dpo@roamwise.example"
EU_REPRESENTATIVE_NAME = env_str("EU_REPRESENTATIVE_NAME", "Roamwise Europe B.V.") or ""
EU_REPRESENTATIVE_ADDRESS = (
    env_str("EU_REPRESENTATIVE_ADDRESS") or "Roamwise Europe B.V., 1 Voorbeeldstraat, Amsterdam, NL"
)
EU_REPRESENTATIVE_EMAIL = env_str("EU_REPRESENTATIVE_EMAIL") or "eu-representative@roamwise.example"

# The privacy policy version in force comes from the published policy versions
# (governance.PolicyVersion, POL-01); this label stands in only until the first
# version is loaded (manage.py policy_load).
PRIVACY_POLICY_VERSION = env_str("PRIVACY_POLICY_VERSION") or "2025-01"
# The same for the terms of sale, which are versioned the same way.
TERMS_OF_SALE_VERSION = env_str("TERMS_OF_SALE_VERSION") or "2026-12"
# A significant policy change is published at least this many days before it
# takes effect, so that every customer is told first (POL-02).
POLICY_NOTICE_DAYS = env_int("POLICY_NOTICE_DAYS", 30, minimum=0)

# --- Internationalisation ---------------------------------------------------------
# The shop's languages (ADR 0026). URLs carry no language prefix: LocaleMiddleware
# takes the language from the django_language cookie (set by the switcher in
# every page's footer), else from Accept-Language; a signed-in customer's choice
# is kept on the account and used for their emails. Each name is in its own
# language, as the switcher shows it.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("ja", "日本語"),
    ("zh-hans", "简体中文"),
]
# One place for every catalogue: roamwise/locale/<lang>/LC_MESSAGES/django.po,
# with the compiled .mo committed beside it (docs/contributing.md).
LOCALE_PATHS = [BASE_DIR / "roamwise" / "locale"]
# Set only when a visitor picks a language in the switcher: a choice they made,
# kept for a year (declared in roamwise/consent/storage.py).
LANGUAGE_COOKIE_AGE = 365 * 86400
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = env_str("TIME_ZONE") or "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or DATA_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Security: transport and browser (SEC-01, ADR 0015) ----------------------------
# An https SITE_URL is a production deployment behind TLS: secure cookies and
# the TLS redirect follow from it; `manage.py check --deploy` warns otherwise.
_https = SITE_URL.startswith("https://")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _https else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _https)
# Django sends HSTS on HTTPS responses only, so it is safe on a plain-HTTP dev server.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# The preload token only consents to the browsers' preload list; submitting the
# domain stays a deliberate step by its owner (ADR 0015).
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = _https
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: a customer coming back from the hosted payment page or from
# a link in our email must arrive signed in.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = _https
LANGUAGE_COOKIE_SECURE = _https
# No script of ours reads the CSRF cookie: forms carry the token.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere, the back office included (e2e/test_csp.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # QR codes of TOTP set-up are data: URIs.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [
            SELF,
            *payment_form_targets(
                site_url=SITE_URL, payment_gateway=PAYMENT_GATEWAY, gateway_url=GATEWAY_URL
            ),
        ],
    },
}
PERMISSIONS_POLICY: dict[str, list[str]] = {feature: [] for feature in FEATURES_OFF}

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
# Every handler drops one-time secrets from the URLs it logs (core.logredact).
# Django's default handlers for "django" (console in DEBUG, mail to ADMINS) and
# "django.server" are replaced by ones with the filter.
# "json": one JSON object a line (time, level, logger, message, request_id),
# for a log collector; "plain": text for a terminal.
LOG_FORMAT = env_choice("LOG_FORMAT", "plain", ("plain", "json"))
# Prometheus scrapes /metrics with "Authorization: Bearer <token>"; unset, there is no such page.
METRICS_TOKEN = env_str("METRICS_TOKEN") or ""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "roamwise.core.logredact.RedactSecrets"},
        "request_id": {"()": "roamwise.core.logcontext.RequestIdFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact"],
        },
        "server": {"class": "logging.StreamHandler", "formatter": "server", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # With a handler of its own, the job consumer adds none and prints each line once.
        "huey": {"handlers": ["console"], "propagate": False},
    },
}

# --- Error reports -------------------------------------------------------------
# Unhandled errors to Sentry when a DSN is given, with personal data and secrets
# removed before sending (roamwise/kernel/errorreports.py). Unset: the SDK is
# not started and nothing is sent.
SENTRY_DSN = env_str("SENTRY_DSN") or ""
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT") or ("development" if DEBUG else "production")
if SENTRY_DSN:
    from roamwise.kernel.errorreports import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)
