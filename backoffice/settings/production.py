"""Production profile: passes `manage.py check --deploy` with no warnings.

Requires SECRET_KEY, DATABASE_URL (PostgreSQL), ALLOWED_HOSTS and, for Celery, CELERY_BROKER_URL.
TLS is terminated in front of the app; SECURE_PROXY_SSL_HEADER trusts X-Forwarded-Proto.
"""

import os

os.environ["DEBUG"] = "0"

from .base import *  # noqa: E402,F403
from .base import env_bool  # noqa: E402

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
