"""The quick start without any server software: the `local` profile on embedded SQLite migrates,
seeds the demo, serves the probes and the staff login, and a printed demo login reaches the admin.

Everything runs in subprocesses with a scrubbed environment (the test profile exports a
PostgreSQL DATABASE_URL into this process, which must not leak into them) and a temporary
VAR_DIR, so the developer's own `var/db.sqlite3` is never touched.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BASE_DIR = Path(__file__).resolve().parent.parent
COMMAND_TIMEOUT = 300
SERVER_TIMEOUT = 60
LOGIN_ROW = re.compile(r"^(?P<role>\w+)\s+(?P<username>demo_\w+)\s+(?P<password>\S+)\s+(?:created|exists)$", re.M)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHARTS = re.compile(r'<script id="dashboard-charts" type="application/json">(.*?)</script>', re.S)
# Undo one of the demo's automatic matches and make it again by hand, as a person would in the
# reconciliation workspace (services.match_unmatch / match_create), on the quick start's SQLite.
REMATCH_BY_HAND = """
from django.contrib.auth import get_user_model
from reconciliation import services
from reconciliation.models import Match
finance = get_user_model().objects.get(username="demo_finance")
match = Match.objects.filter(state="matched", rule="reference").order_by("pk").first()
lines = list(match.line_links.values_list("line_id", flat=True))
postings = list(match.posting_links.values_list("posting_id", flat=True))
services.match_unmatch(match_id=match.pk, actor=finance, reason="checking the quick start")
again = services.match_create(line_ids=lines, posting_ids=postings, actor=finance, note="by hand")
print("rematched by hand:", again.state)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _local_env(var_dir: Path, port: int) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items()
        # The test profile sets these in this process; the quick start must run without them.
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "SECRET_KEY"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="backoffice.settings.local",
        VAR_DIR=str(var_dir),
        DEBUG="1",
        STAFF_2FA_EXEMPT_DEMO_USERS="1",
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=COMMAND_TIMEOUT, check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


class Browser:
    """A tiny client: a cookie jar, redirects followed, HTTP errors returned rather than raised."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body)  # noqa: S310 - http://127.0.0.1 only
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode()


def _wait_for_server(browser: Browser, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"runserver exited with {process.returncode}:\n{log.read_text()}")
        try:
            status, _url, _body = browser.request("/healthz")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
            continue
        if status == 200:
            return
    pytest.fail(f"runserver did not answer /healthz within {SERVER_TIMEOUT} s:\n{log.read_text()}")


def _sign_in(browser: Browser, username: str, password: str, *, next_path: str) -> None:
    status, _url, page = browser.request("/staff/login/")
    token = CSRF_INPUT.search(page)
    assert status == 200 and token, page
    status, url, page = browser.request("/staff/login/", {"csrfmiddlewaretoken": token.group(1), "username": username,
                                                          "password": password, "next": next_path})
    assert (status, urllib.parse.urlsplit(url).path) == (200, next_path), page


def test_embedded_sqlite_quick_start_migrates_seeds_serves_and_signs_in(tmp_path):
    port = _free_port()
    env = _local_env(tmp_path, port)

    # Given a fresh VAR_DIR, migrate and seed as `make run` does
    _manage(env, "migrate", "--noinput")
    assert (tmp_path / "db.sqlite3").is_file()
    seed_output = _manage(env, "seed_demo")
    logins = {m["role"]: (m["username"], m["password"]) for m in LOGIN_ROW.finditer(seed_output)}
    assert "administrator" in logins, seed_output
    assert "Ledger demo:" in seed_output
    # The end-of-day history and the reconciliation demo run on SQLite too (the matcher and the
    # break detection in Python there), and a person's manual match works on it.
    assert ", the last 10 closed by the end of day." in seed_output, seed_output
    assert "Reconciliation demo: 2 external accounts" in seed_output, seed_output
    rematched = _manage(env, "shell", "-c", REMATCH_BY_HAND)
    assert "rematched by hand: matched" in rematched, rematched
    # And the next end of day closes the demo's open business date, reconciliation steps included
    eod_output = _manage(env, "run_eod")
    assert re.search(r"^End of day \d{4}-\d\d-\d\d: completed\.$", eod_output, re.M), eod_output
    assert "reconciliation.safeguarding: completed" in eod_output, eod_output

    # When the development server runs on it
    log = tmp_path / "runserver.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    try:
        browser = Browser(f"http://127.0.0.1:{port}")
        _wait_for_server(browser, server, log)

        # Then the probes answer, on SQLite, with tasks running eagerly
        status, _url, body = browser.request("/healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, _url, body = browser.request("/readyz")
        ready = json.loads(body)
        assert status == 200, ready
        assert ready["checks"]["database"] == {"ok": True, "vendor": "sqlite"}
        assert ready["checks"]["broker"]["mode"].startswith("eager")

        # And the staff login page has its form
        status, _url, page = browser.request("/staff/login/")
        assert status == 200
        assert '<form method="post"' in page
        assert 'name="username"' in page and 'name="password"' in page
        token = CSRF_INPUT.search(page)
        assert token, page

        # And the operations dashboard shows every chart it shows operations with figures
        operations = Browser(f"http://127.0.0.1:{port}")
        _sign_in(operations, *logins["operations"], next_path="/staff/dashboard/")
        status, _url, dashboard = operations.request("/staff/dashboard/")
        assert status == 200, dashboard
        charts = json.loads(CHARTS.search(dashboard).group(1))
        assert {c["id"] for c in charts} == {"chart-payments", "chart-fees", "chart-eod", "chart-backlog",
                                            "chart-safeguarding"}
        assert all(c["labels"] and any(d["data"] for d in c["datasets"]) for c in charts), charts
        assert "Open breaks: <strong" in dashboard and "no lines" not in dashboard

        # And a printed demo login signs in (no second factor for demo logins here) and reaches the admin
        username, password = logins["administrator"]
        status, url, _page = browser.request(
            "/staff/login/",
            {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password, "next": "/admin/"},
        )
        assert (status, urllib.parse.urlsplit(url).path) == (200, "/admin/")
        status, url, admin_page = browser.request("/admin/")
        assert (status, urllib.parse.urlsplit(url).path) == (200, "/admin/")
        assert "Core Bank back office" in admin_page
        assert 'id="logout-form"' in admin_page  # signed in: the admin offers to sign out
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
