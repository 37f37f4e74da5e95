"""The production web server on loopback, for the tools that drive it over HTTP: the API fuzzing
of ``make test`` (``tests/fuzz/run.py``) and the bench's HTTP scenario (``bench/httpapi.py``).
One free port and one environment: the production settings with a throw-away secret, plain HTTP,
Celery in-process, and throttles raised so that they run but never answer 429 (they have their
own tests)."""

from __future__ import annotations

import os
import socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_environment(*, database_url: str, var_dir: str, secret_key: str, cache_prefix: str,
                           **extra: str) -> dict[str, str]:
    """This process's environment (less pytest's and Django's own variables) with the production
    settings pointed at ``database_url``; ``extra`` overrides any of it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="backoffice.settings.production",
        SECRET_KEY=secret_key,
        DATABASE_URL=database_url,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"),
        CACHE_KEY_PREFIX=cache_prefix,
        CELERY_BROKER_URL="",
        VAR_DIR=var_dir,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback; TLS is terminated in front in production
        LOG_LEVEL="WARNING",
        API_THROTTLE_USER="1000000/minute",
        API_THROTTLE_ANON="1000000/minute",
        API_THROTTLE_MONEY="1000000/minute",
        API_THROTTLE_AUTH_FAILURES="1000000/minute",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env
