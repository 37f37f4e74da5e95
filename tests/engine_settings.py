"""The engine on its own: ``backoffice.settings.test`` without a single back-office, compliance or
reconciliation app, and without anything that needs them (middleware, URLs, API authentication,
seams, action modules, demo loaders, tracked models, schema enums, periodic tasks).

``make test`` runs ``tests/core_banking`` under this module first (``--ds=tests.engine_settings``),
then the rest of the suite under the full settings; a test marked ``backoffice`` (it needs the back
office: a partner client's isolation, a token's own behaviour, the staff's second factor and admin
pages, approvals, tariffs, limits) runs only in the second run (``tests/core_banking/conftest.py``).
The engine's API and admin tests sign in here through ``tests/core_banking/api_auth.py``: groups
holding each role's engine permissions, sessions and DRF's forced authentication. So that "not
installed" means it, importing any module of those packages fails here with :class:`NotInstalled`;
only the project package's own plumbing (``backoffice``, ``backoffice.celery``, ``backoffice.settings``) loads.
"""

import importlib.abc
import sys

from backoffice.settings.test import *  # noqa: F403

_not_engine = ("backoffice", "compliance", "reconciliation")
#: The project package's plumbing, which the engine runs inside (settings, the Celery app).
_project_plumbing = ("backoffice", "backoffice.celery", "backoffice.settings")


def _is_engine(dotted: str) -> bool:
    return dotted.split(".")[0] not in _not_engine


class NotInstalled(ImportError):
    """A module of the back office (or compliance, or reconciliation) was imported in engine-only mode."""


class _RefuseNotEngine(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if _is_engine(fullname) or fullname in _project_plumbing or fullname.startswith("backoffice.settings."):
            return None
        raise NotInstalled(f"{fullname}: the back office is not installed (tests/engine_settings.py)",
                           name=fullname)


if not any(isinstance(finder, _RefuseNotEngine) for finder in sys.meta_path):
    sys.meta_path.insert(0, _RefuseNotEngine())

INSTALLED_APPS = [  # noqa: F405
    # Django's own admin site in place of the staff admin (two-factor sign-in, role landing pages).
    "django.contrib.admin" if app == "backoffice.staff.apps.StaffAdminConfig" else app
    for app in INSTALLED_APPS  # noqa: F405
    if _is_engine(app) or app == "backoffice.staff.apps.StaffAdminConfig"
]
MIDDLEWARE = [m for m in MIDDLEWARE if _is_engine(m)]  # noqa: F405
ROOT_URLCONF = "core_banking.urls"
WSGI_APPLICATION = ASGI_APPLICATION = None  # Django's own handlers, not the project's modules
# The back office's permission cache gives way to Django's own backend.
AUTHENTICATION_BACKENDS = list(dict.fromkeys(
    backend if _is_engine(backend) else "django.contrib.auth.backends.ModelBackend"
    for backend in AUTHENTICATION_BACKENDS))  # noqa: F405
LOGIN_URL = "admin:login"
LOGOUT_REDIRECT_URL = "admin:login"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    # DRF's session authentication in place of API client tokens and the staff's verified sessions.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
}
SPECTACULAR_SETTINGS = {
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "ENUM_NAME_OVERRIDES": {name: value for name, value in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].items()  # noqa: F405
                            if not isinstance(value, str) or _is_engine(value)},
}

# The seams at the engine's defaults (core_banking/common/seams.py): no fees, no checks, every
# sensitive action at once, everyone sees everything, the engine's own end-of-day steps.
for _seam in ("CORE_BANKING_FEE_POLICY", "CORE_BANKING_PAYMENT_CHECKS", "CORE_BANKING_MAKER_CHECKER",
              "CORE_BANKING_CLIENT_SCOPE", "CORE_BANKING_EOD_STEPS", "KYC_SCREENING_HOOK"):
    globals().pop(_seam, None)
APPROVAL_ACTION_MODULES: list[str] = []
DEMO_DATA_LOADERS = [loader for loader in DEMO_DATA_LOADERS if _is_engine(loader)]  # noqa: F405
_engine_labels = {app.rsplit(".", 1)[-1] for app in INSTALLED_APPS} | {"auth"}
AUDIT_TRACKED_MODELS = [m for m in AUDIT_TRACKED_MODELS if m.split(".")[0] in _engine_labels]  # noqa: F405
CELERY_BEAT_SCHEDULE = {name: entry for name, entry in CELERY_BEAT_SCHEDULE.items()  # noqa: F405
                        if name.split(".")[0] in _engine_labels}
STORAGES = {name: storage for name, storage in STORAGES.items() if name not in _not_engine + ("kyc",)}  # noqa: F405
