"""Profile for `make test`: PostgreSQL and Redis by default, fast password hashing."""

import os
import tempfile

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/corebank")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
# Cache keys of their own per test run and per xdist worker: the workers' databases give their
# users the same ids, and a counter kept in Redis (a throttle's, say) must not count another
# worker's or an earlier run's requests. Processes a test starts inherit the prefix.
_cache_prefix = os.environ.get("CACHE_KEY_PREFIX") or f"test-{os.getpid()}"
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist_worker and not _cache_prefix.endswith(f"-{_xdist_worker}"):
    _cache_prefix = f"{_cache_prefix}-{_xdist_worker}"
os.environ["CACHE_KEY_PREFIX"] = _cache_prefix

from .base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Tests opt in to a real broker explicitly (tests/test_celery_worker.py); the rest run eagerly.
# A worker process a test (or the EOD bench) starts sets CELERY_USE_BROKER=1: it then sends the
# tasks it spawns (the EOD's chunks) through the broker too, instead of running them inline.
if os.environ.get("CELERY_USE_BROKER") and os.environ.get("CELERY_BROKER_URL"):
    CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CELERY_BROKER_URL = ""
    CELERY_TASK_ALWAYS_EAGER = True
AXES_ENABLED = True
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": "1000/minute", "user": "100000/minute",  # noqa: F405
                                            "money": "100000/minute"}
API_THROTTLE_AUTH_FAILURES = "1000/minute"  # the throttle's own test lowers it
# Uploaded KYC documents go to a throw-away directory, not to var/ (the storage is bound when the
# model loads, so this is set here rather than per test).
STORAGES["kyc"]["OPTIONS"]["location"] = tempfile.mkdtemp(prefix="corebank-test-kyc-")  # noqa: F405
for _private in ("compliance", "reconciliation"):
    if _private in STORAGES:  # noqa: F405
        STORAGES[_private]["OPTIONS"]["location"] = tempfile.mkdtemp(prefix=f"corebank-test-{_private}-")  # noqa: F405
