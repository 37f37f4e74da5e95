"""Browser-test plumbing for the staff pages (issue 9): Playwright for Python driving Debian's
Chromium (``/usr/bin/chromium``; Playwright never downloads a browser here), signing in through
the real login and second-factor pages, and screenshots under ``var/screenshots/``.

When Chromium is missing the session installs it with ``apt-get install -y chromium`` (what CI
runs as root); when that fails too the browser tests *fail*: a skipped browser test would hide a
broken page."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("STAFF_BROWSER", "/usr/bin/chromium")
TIMEOUT_MS = 15_000


def chromium_executable() -> str:
    """The path of Chromium, installing Debian's package when it is missing; fails otherwise."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None:
        pytest.fail(f"{CHROMIUM} is missing and there is no apt-get to install the chromium package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "--no-install-recommends", "chromium"]
    result = subprocess.run(install, capture_output=True, text=True, env=env, timeout=900, check=False)
    if result.returncode != 0:  # a fresh machine has no package lists yet
        subprocess.run([apt, "update"], capture_output=True, text=True, env=env, timeout=600, check=False)
        result = subprocess.run(install, capture_output=True, text=True, env=env, timeout=900, check=False)
    if result.returncode != 0 or not Path(CHROMIUM).exists():
        pytest.fail(f"could not install chromium (apt-get exit {result.returncode}): {result.stderr[-2000:]}")
    return CHROMIUM


def screenshot_dir() -> Path:
    path = Path(settings.VAR_DIR) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_dir() / f"{name}.png"), full_page=True)


def sign_in(browser, live_server, user, *, password: str = "a-long-enough-password"):
    """A new browser context signed in as ``user`` through the login page and the authenticator
    code (a confirmed TOTP device is made for the user here), on the landing page sign-in leads
    to (the admin's index with the role's panels). Returns the page."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .conftest import current_token

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="phone", confirmed=True)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/login/")  # no ``next``: where sign-in lands by itself
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Authentication code").fill(current_token(device))
    page.get_by_role("button", name="Verify").click()
    # The role's landing page: the admin's index with the panels of the person's roles, the staff
    # pages of the daily work first (backoffice/staff/admin_home.py).
    page.wait_for_url(f"{live_server.url}/admin/")
    page.locator(".role-panels").first.wait_for()
    return page
