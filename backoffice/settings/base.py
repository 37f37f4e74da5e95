"""Settings shared by every profile; every deployment-specific value comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .beat import beat_schedule

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        # Only ever used with DEBUG on, on a developer's machine.
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(or DEBUG=1 on a development machine)."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Django's admin with the staff admin site (2FA required) as admin.site.
    "backoffice.staff.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "pgtrigger",
    # core banking (never imports the back office)
    "core_banking.config",
    "core_banking.audit",
    "core_banking.ledger",
    "core_banking.customers",
    "core_banking.accounts",
    "core_banking.payments",
    "core_banking.interest",
    "core_banking.deposits",
    "core_banking.loans",
    "core_banking.eod",
    "core_banking.events",
    "core_banking.settlement",
    "compliance.cases",
    "compliance.monitoring",
    "compliance.screening",
    "reconciliation",
    # back office
    "backoffice.staff",
    "backoffice.api_clients",
    "backoffice.tariffs",
    "backoffice.limits",
    "backoffice.tickets",
    "backoffice.kyc",
    "backoffice.approvals",
    "backoffice.webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Oversized, deeply nested or NUL-carrying API requests are refused before anything parses them.
    "core_banking.common.api.guard.ApiRequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core_banking.audit.middleware.RequestContextMiddleware",
    "backoffice.staff.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # AxesMiddleware must be last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"
ASGI_APPLICATION = "backoffice.asgi.application"

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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # The ledger's and the payment path's statements are prepared once per session
    # (core_banking/common/sqlbatch.py); their generic plans are index lookups by key, so skip
    # re-planning them on every execution. random_page_cost=1.1 (PostgreSQL's default, 4, models
    # spinning disks): a bank's hot tables live in memory or on SSDs, and with the default a
    # generic plan for "id = ANY($1)" (estimated at 10 keys) scans a table of a few hundred rows
    # (ledger_balance, limit and fee counters) instead of probing its primary key, which costs
    # the ledger's write statement a quarter of its time on a small ledger.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        "-c plan_cache_mode=force_generic_plan -c random_page_cost=1.1")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Writers take the database lock when their transaction begins, so read-then-write
    # sequences (the ledger's balance updates on SQLite) cannot interleave.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "corebank"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    # AxesBackend must be first: it refuses locked-out credentials before any other backend.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, with each person's permission set cached until permissions change.
    "backoffice.staff.permissions_backend.CachedPermissionsBackend",
    "guardian.backends.ObjectPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "/admin/"
LOGOUT_REDIRECT_URL = "staff:login"

LANGUAGE_CODE = "en-gb"
# Storage is always UTC; the bank's own time zone is used for display and business dates.
USE_TZ = True
TIME_ZONE = os.environ.get("BANK_TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Celery -------------------------------------------------------------------------------
# With no broker configured every task runs eagerly, in-process (the `make run` default).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The queue tasks go to and workers take by default (a deployment may give the end of day its own).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
# CELERY_BEAT_SCHEDULE is assembled once, by backoffice/settings/beat.py, after the intervals below.

# --- REST API -----------------------------------------------------------------------------
# The API's front door (core_banking/common/api/guard.py).
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", 1024 * 1024))
API_MAX_UPLOAD_BYTES = int(os.environ.get("API_MAX_UPLOAD_BYTES", 25 * 1024 * 1024))
API_MAX_JSON_DEPTH = int(os.environ.get("API_MAX_JSON_DEPTH", 32))

# Failed token authentication per address and per token prefix (backoffice/api_clients/throttling.py).
API_THROTTLE_AUTH_FAILURES = os.environ.get("API_THROTTLE_AUTH_FAILURES", "20/minute")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backoffice.api_clients.authentication.ApiTokenAuthentication",
        # Session access to the API requires the staff second factor, like the admin.
        "backoffice.staff.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # No-op unless a view declares `required_scopes` (see core_banking.common.api.permissions).
        "core_banking.common.api.permissions.HasScope",
    ],
    "DEFAULT_PAGINATION_CLASS": "core_banking.common.api.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core_banking.common.api.schema.AutoSchema",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core_banking.common.api.negotiation.ContentNegotiation",
    "EXCEPTION_HANDLER": "core_banking.common.api.problems.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's anon and user throttles, counting instead of logging (core_banking/common/api/throttling.py)
        "core_banking.common.api.throttling.AnonRateThrottle",
        "core_banking.common.api.throttling.UserRateThrottle",
        # Writes that move money (views with moves_money = True) have a rate of their own.
        "core_banking.common.api.throttling.MoneyWriteThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "6000/minute"),
        "money": os.environ.get("API_THROTTLE_MONEY", "1200/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Core banking and back office API",
    "DESCRIPTION": "Ledger, accounts, payments and back-office workflows. Errors are "
    "application/problem+json documents with a stable `code`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `kind` or `status`: name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "StatementFormatEnum": "reconciliation.models.Format",
        "ReconciliationBreakStatusEnum": "reconciliation.models.Break.Status",
        "MonitoringActionEnum": "compliance.monitoring.kinds.Action",
        "MonitoringRuleKindEnum": "compliance.monitoring.kinds.Kind",
        "CaseTransitionActionEnum": "compliance.cases.transitions.API_ACTIONS",
        "RiskRatingEnum": "core_banking.customers.models.Customer.RiskRating",
        "EntryKindEnum": "core_banking.ledger.models.EntryKind",
        "HoldStatusEnum": "core_banking.ledger.models.Hold.Status",
        "PaymentKindEnum": "core_banking.payments.models.Payment.Kind",
        "PaymentStatusEnum": "core_banking.payments.models.Payment.Status",
        "SettlementBatchStatusEnum": "core_banking.settlement.models.Batch.Status",
        "SettlementItemStateEnum": "core_banking.settlement.models.BatchItem.State",
        "SettlementFileKindEnum": "core_banking.settlement.models.SettlementFile.Kind",
        "SettlementFileDirectionEnum": "core_banking.settlement.models.SettlementFile.Direction",
        "SettlementRailEnum": "core_banking.settlement.models.Rail",
        "ProductKindEnum": "core_banking.accounts.models.Product.Kind",
        "AccountStatusEnum": "core_banking.accounts.models.Account.Status",
        "CustomerStatusEnum": "core_banking.customers.models.Customer.Status",
        "CustomerTypeEnum": "core_banking.customers.models.Customer.Type",
        "AddressKindEnum": "core_banking.customers.models.Address.Kind",
        "AccountTypeEnum": "core_banking.ledger.models.AccountType",
        "TicketStatusEnum": "backoffice.tickets.models.Ticket.Status",
        "TicketPriorityEnum": "backoffice.tickets.models.Priority",
        "TicketMessageVisibilityEnum": "backoffice.tickets.models.TicketMessage.Visibility",
        "ApprovalStatusEnum": "backoffice.approvals.models.ApprovalRequest.Status",
        "ApprovalActionTypeEnum": "backoffice.approvals.registry.ACTION_TYPE_CHOICES",
        "KycApplicationStatusEnum": "backoffice.kyc.models.KycApplication.Status",
        "KycApplicationKindEnum": "backoffice.kyc.models.KycApplication.Kind",
        "KycDocumentTypeEnum": "backoffice.kyc.models.KycDocument.Type",
        "KycRejectionReasonEnum": "backoffice.kyc.models.RejectionReason",
        "DayCountConventionEnum": "core_banking.interest.models.CONVENTION_CHOICES",
        "TermDepositStatusEnum": "core_banking.deposits.models.TermDeposit.Status",
        "LoanStatusEnum": "core_banking.loans.models.Loan.Status",
        "InstalmentStatusEnum": "core_banking.loans.models.Instalment.Status",
        "DayCountConventionCodeEnum": "core_banking.deposits.models.CONVENTIONS",
        "LoanStatusCodeEnum": "core_banking.loans.models.LOAN_STATUSES",
        "LoanComponentEnum": "core_banking.loans.schedule.COMPONENTS",
        "ComplianceCaseStatusEnum": "compliance.cases.models.Case.Status",
        "ComplianceAlertStatusEnum": "compliance.cases.models.Alert.Status",
    },
}

# --- Staff security -----------------------------------------------------------------------
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Core Bank Back Office")
# Administrators may remove a colleague's devices (to reset 2FA) but never read their secrets.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Off by default; `make run` turns it on so the printed demo logins work without a phone.
STAFF_2FA_EXEMPT_DEMO_USERS = env_bool("STAFF_2FA_EXEMPT_DEMO_USERS", False)
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# A readable page (HTTP 429, AXES_HTTP_RESPONSE_CODE default) instead of a bare message.
AXES_LOCKOUT_TEMPLATE = "staff/lockout.html"

# --- Demo data (`manage.py seed_demo`, development only) ----------------------------------
# Password of each demo login; "{role}" is replaced by the role name (demo-finance-2026!).
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-{role}-2026!")
# Modules whose ACTIONS (maker-checker action types) backoffice/approvals/registry.py assembles, in
# order; an action type's code is declared once.
APPROVAL_ACTION_MODULES: list[str] = [
    "backoffice.approvals.actions.ledger",  # ledger_adjustment, reversal
    "backoffice.limits.approval_actions",  # limit_change
    "backoffice.tariffs.approval_actions",  # tariff_change
    "backoffice.approvals.actions.accounts",  # account_freeze, account_unfreeze, account_close
    "backoffice.approvals.actions.payments",  # payment_release
    "backoffice.approvals.actions.customers",  # kyc_override
    "backoffice.api_clients.approval_actions",  # api_client_create, api_client_change
    "backoffice.staff.approval_actions",  # role_grant
    "compliance.monitoring.approval_actions",  # monitoring_rule_change
    "backoffice.approvals.actions.settlement",  # settlement_batch_cancel, suspense_book, suspense_return
]

# Dotted paths of callables run in order after the demo users exist, each called as
# loader(stdout=<writer>). Apps append theirs (ledger demo data, customers, ...); each must be
# idempotent, because seed_demo may run many times on the same database.
DEMO_DATA_LOADERS: list[str] = [
    # Configuration first, then customers and three months of payments (which open the first
    # business date and close the last ones with the real end of day), then the other apps' demos
    # on today's open business date, the ledger's own demo, settlement and reconciliation last.
    "backoffice.tariffs.demo.load_demo",
    "backoffice.limits.demo.load_demo",
    "core_banking.payments.demo.load_demo_payments",
    "core_banking.interest.demo.load_demo",  # SAVINGS-EUR for the demo savings product
    "backoffice.tickets.demo.load_demo",
    "backoffice.approvals.demo.load_demo",
    "backoffice.kyc.demo.load_demo",  # an application for the demo customer whose KYC is pending
    "compliance.screening.demo.load_demo",  # the sample sanctions list
    "compliance.monitoring.demo.load_demo",  # the default monitoring rules, and payments they catch
    "core_banking.ledger.demo.load_demo_ledger",
    "core_banking.settlement.demo.load_demo",  # each business date's SEPA batch and pain.001, after the payments
    "reconciliation.demo.load_demo",  # statements of the settlement and safeguarding accounts, matched; breaks
]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Audit trail ---------------------------------------------------------------------------
# Models whose every create/update/delete is written to the audit trail, as "app_label.Model"
# (auth.User and auth.Group are always tracked). Apps add their configuration models here;
# a model that is not installed is skipped with a warning.
AUDIT_TRACKED_MODELS: list[str] = [
    # Client creation, scope changes, (de)activation; token issue and revocation.
    "api_clients.ApiClient",
    "api_clients.ApiToken",
    # The chart of accounts and currencies: configuration, changed rarely, by hand.
    "ledger.Currency",
    "ledger.LedgerAccount",
    # Products and the bank's booking accounts and rates: configuration.
    "accounts.Product",
    "payments.BookingAccount",
    "payments.FxRate",
    # Tariff configuration (usage counters are not configuration and are not tracked).
    "tariffs.TariffPlan",
    "tariffs.TariffVersion",
    "tariffs.FeeRule",
    "tariffs.FeeTier",
    "tariffs.CustomerTariff",
    "limits.LimitProfile",
    "limits.LimitRule",
    # Interest rate schedules (accrual rows are bulk data, not configuration).
    "interest.InterestRateSchedule",
    "interest.InterestRate",
    "interest.InterestRateTier",
    # Support teams, ticket categories and their SLAs.
    "tickets.Team",
    "tickets.Category",
    "tickets.CategorySla",
    "approvals.ApprovalPolicy",
]

# --- Ledger -------------------------------------------------------------------------------
# Hash chains that entries are spread over (more chains: less contention, same evidence).
LEDGER_CHAINS = min(64, int(os.environ.get("LEDGER_CHAINS", "16")))
LEDGER_FX_POSITION_CODE = "FXPOS-{currency}"
# Seconds between runs of the hold-expiry task (django-celery-beat / the beat schedule).
LEDGER_HOLD_EXPIRY_INTERVAL = int(os.environ.get("LEDGER_HOLD_EXPIRY_INTERVAL", "60"))

# --- Payments ------------------------------------------------------------------------------
# The engine's seams (declared in core_banking/common/seams.py, listed in docs/architecture.md):
# the back office prices and checks payments, and gives back their usage when one is rejected or
# returned, through the objects named here; the engine never imports the back office itself.
# Removing a check from the list removes its give-back too.
CORE_BANKING_FEE_POLICY = "backoffice.tariffs.policy.TARIFFS"
CORE_BANKING_PAYMENT_CHECKS: list[str] = ["backoffice.limits.checks.LIMITS",
                                           "compliance.monitoring.checks.MONITORING",
                                           "compliance.screening.checks.COUNTERPARTY"]
# Staff entry points of sensitive actions ask for approval (core_banking/common/maker_checker.py).
CORE_BANKING_MAKER_CHECKER = "backoffice.approvals.guard.GUARD"
# Whose objects an API caller sees: a partner API client only its own (core_banking/common/visibility.py).
CORE_BANKING_CLIENT_SCOPE = "backoffice.api_clients.visibility.client_scope"
# The end-of-day steps, in order (core_banking/eod/step.py); the tariffs' periodic fees are the
# back office's contribution.
CORE_BANKING_EOD_STEPS: list[str] = [
    "core_banking.interest.eod.ACCRUE",
    "core_banking.interest.eod.CAPITALISE",
    "backoffice.tariffs.eod.PERIODIC_FEES",
    "core_banking.deposits.eod.ACCRUE",
    "core_banking.deposits.eod.MATURE",
    "core_banking.loans.eod.ACCRUE",
    "core_banking.loans.eod.DUE",
    "core_banking.accounts.eod.DORMANCY",
    "core_banking.ledger.eod.EXPIRE_HOLDS",
    "compliance.monitoring.eod.BATCH",
    "reconciliation.eod.AUTOMATCH",
    "reconciliation.eod.BREAKS",
    "reconciliation.eod.SAFEGUARDING",
]
if os.environ.get("CORE_BANKING_EOD_STEPS"):  # a deployment (or a test worker) names its own steps
    CORE_BANKING_EOD_STEPS = [path.strip() for path in os.environ["CORE_BANKING_EOD_STEPS"].split(",") if path.strip()]
# Seconds an FX quote stays firm.
PAYMENTS_FX_QUOTE_TTL = int(os.environ.get("PAYMENTS_FX_QUOTE_TTL", "30"))

# --- Support tickets -----------------------------------------------------------------------
# Seconds between runs of the SLA escalation task (one UPDATE per kind of breach).
TICKETS_ESCALATION_INTERVAL = int(os.environ.get("TICKETS_ESCALATION_INTERVAL", "300"))

# --- KYC review ---------------------------------------------------------------------------
# The screening seam (backoffice/kyc/screening.py); the compliance app will plug in here. The
# other KYC settings (risk countries and activities, review intervals) keep the defaults in
# backoffice/kyc/conf.py unless set here.
KYC_SCREENING_HOOK = "compliance.screening.hook.screen"
# Screening scores (0-100) at or above which a name is a match / a possible match.
COMPLIANCE_SCREENING_MATCH = int(os.environ.get("COMPLIANCE_SCREENING_MATCH", "92"))
COMPLIANCE_SCREENING_POSSIBLE = int(os.environ.get("COMPLIANCE_SCREENING_POSSIBLE", "80"))
# Identity documents: never under MEDIA/static, only streamed by the API to who may see them.
STORAGES["kyc"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": os.environ.get("KYC_DOCUMENT_ROOT", str(VAR_DIR / "private" / "kyc")), "base_url": None},
}
# Compliance case attachments (evidence): private as well, streamed only to who may work the case.
STORAGES["compliance"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": os.environ.get("COMPLIANCE_DOCUMENT_ROOT", str(VAR_DIR / "private" / "compliance")),
                "base_url": None},
}

# Original bank statement files (reconciliation): private, like the KYC documents.
STORAGES["reconciliation"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": os.environ.get("RECONCILIATION_FILE_ROOT", str(VAR_DIR / "private" / "reconciliation")),
                "base_url": None},
}

# --- Approvals (maker-checker) -------------------------------------------------------------
# Seconds between runs of the task that expires approval requests past their time.
APPROVALS_EXPIRY_INTERVAL = int(os.environ.get("APPROVALS_EXPIRY_INTERVAL", "300"))
# Webhooks (backoffice/webhooks/relay.py): a relay pass every WEBHOOKS_RELAY_INTERVAL seconds, and
# after each commit that emitted events; each POST times out after WEBHOOKS_TIMEOUT_SECONDS; a
# failed one is retried after WEBHOOKS_BACKOFF_SECONDS x 2^(attempt-1) (at most an hour) and is
# dead after WEBHOOKS_MAX_ATTEMPTS; a relay holds a claimed delivery for WEBHOOKS_LEASE_SECONDS.
WEBHOOKS_RELAY_INTERVAL = int(os.environ.get("WEBHOOKS_RELAY_INTERVAL", "10"))
WEBHOOKS_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOKS_TIMEOUT_SECONDS", "10"))
WEBHOOKS_BACKOFF_SECONDS = int(os.environ.get("WEBHOOKS_BACKOFF_SECONDS", "10"))
WEBHOOKS_MAX_ATTEMPTS = int(os.environ.get("WEBHOOKS_MAX_ATTEMPTS", "8"))
WEBHOOKS_LEASE_SECONDS = int(os.environ.get("WEBHOOKS_LEASE_SECONDS", "60"))

# --- Bank calendar and end of day (core_banking/eod) --------------------------------------
# Weekends (ISO weekdays), holidays (a financial market of the `holidays` package such as "ECB"
# for the TARGET2 closing days, or a country "NL" / "DE-BY"; "" for none) and extra closing days.
BANK_WEEKEND = tuple(int(d) for d in os.environ.get("BANK_WEEKEND", "6,7").split(",") if d)
BANK_HOLIDAYS = os.environ.get("BANK_HOLIDAYS", "ECB")
BANK_EXTRA_HOLIDAYS = tuple(d for d in os.environ.get("BANK_EXTRA_HOLIDAYS", "").split(",") if d)
# The cut-off (HH:MM, bank time zone): the end of day starts then and closes the business date.
BANK_CUTOFF = os.environ.get("BANK_CUTOFF", "18:00")
# How often beat checks whether the cut-off has passed (seconds).
EOD_START_INTERVAL = int(os.environ.get("EOD_START_INTERVAL", "300"))
# Attempts per chunk before it counts as failed (the run then fails; a re-run tries again).
EOD_CHUNK_ATTEMPTS = int(os.environ.get("EOD_CHUNK_ATTEMPTS", "3"))
# Ids per chunk for every step (0: each step's own chunk_size).
EOD_CHUNK_SIZE = int(os.environ.get("EOD_CHUNK_SIZE", "0"))
# Seconds before a failed chunk's second attempt (doubling, at most 60).
EOD_RETRY_DELAY = int(os.environ.get("EOD_RETRY_DELAY", "5"))
# An active account with no customer payment for this many days becomes dormant.
ACCOUNT_DORMANCY_DAYS = int(os.environ.get("ACCOUNT_DORMANCY_DAYS", "365"))

# --- Settlement of external payments (core_banking/settlement, docs/settlement.md) ----------
# The bank as debtor and debtor agent of its pain.001 files: BIC and the IBAN of its settlement
# account at the scheme ("" builds one from BANK_COUNTRY and BANK_CODE).
SETTLEMENT_BANK_BIC = os.environ.get("SETTLEMENT_BANK_BIC", "CBNKNL2A")
SETTLEMENT_BANK_IBAN = os.environ.get("SETTLEMENT_BANK_IBAN", "")
# How often beat closes the batches whose cut-off has passed (seconds).
SETTLEMENT_CLOSE_INTERVAL = int(os.environ.get("SETTLEMENT_CLOSE_INTERVAL", "300"))
# Seconds a closed batch (file written) waits before it is sent: the window to cancel it.
SETTLEMENT_SEND_DELAY = int(os.environ.get("SETTLEMENT_SEND_DELAY", "0"))

# --- Periodic tasks (the only place CELERY_BEAT_SCHEDULE is set) ----------------------------
CELERY_BEAT_SCHEDULE = beat_schedule(
    ledger_hold_expiry_interval=LEDGER_HOLD_EXPIRY_INTERVAL,
    tickets_escalation_interval=TICKETS_ESCALATION_INTERVAL,
    approvals_expiry_interval=APPROVALS_EXPIRY_INTERVAL,
    eod_start_interval=EOD_START_INTERVAL,
    webhooks_relay_interval=WEBHOOKS_RELAY_INTERVAL,
    settlement_close_interval=SETTLEMENT_CLOSE_INTERVAL,
)

# --- Bank identity ------------------------------------------------------------------------
BANK_NAME = os.environ.get("BANK_NAME", "Core Bank")
BANK_COUNTRY = os.environ.get("BANK_COUNTRY", "NL")
BANK_CODE = os.environ.get("BANK_CODE", "CBNK")
BANK_BASE_CURRENCY = os.environ.get("BANK_BASE_CURRENCY", "EUR")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
