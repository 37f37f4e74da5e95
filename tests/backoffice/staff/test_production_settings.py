"""The production profile, checked the way an operator would: in a fresh process."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

# Variables a developer's shell or the test profile may set that would change the outcome.
_PROFILE_VARIABLES = (
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "STAFF_2FA_EXEMPT_DEMO_USERS",
)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in _PROFILE_VARIABLES}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def database_url() -> str:
    """The URL of the database this test run uses (the production check must not need more)."""
    db = settings.DATABASES["default"]
    return f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def test_production_profile_passes_the_deploy_checks_without_warnings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="backoffice.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        DATABASE_URL=database_url(),
        ALLOWED_HOSTS="bank.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr


def test_production_profile_warns_when_demo_users_skip_2fa():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="backoffice.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        STAFF_2FA_EXEMPT_DEMO_USERS="1",
    )

    assert result.returncode == 1
    assert "staff.W001" in result.stderr


@pytest.mark.parametrize("profile", ["backoffice.settings.production", "backoffice.settings.test"])
def test_refuses_to_start_without_a_secret_key_when_debug_is_off(profile):
    result = manage("check", DJANGO_SETTINGS_MODULE=profile, DEBUG="0", SECRET_KEY="")

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr
