"""(h) The payment path through HTTP: the production server (gunicorn, ``backoffice.settings.production``,
as ``tests/fuzz/run.py`` starts it) on a free loopback port against the bench database, and
``POST /api/v1/payments/`` from 16 concurrent keep-alive clients (threads, ``http.client``) for
``--seconds``: internal transfers of 1.00-100.00 EUR between random pairs of 50 customers of their
own (as y), each request with a bank-channel API client's token (scope ``payments``) and a unique
``Idempotency-Key``.

The throttles are raised out of the way (as the fuzz run does): they still run (a cache round trip
per request) but never answer 429. The server's sync workers (the deployment in the README) close
the connection after each response; ``connections_opened`` says how often the clients had to
reconnect (``--http-worker-class gthread`` keeps connections open).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.ledger import before_workers, cents, log
from bench.util import ROOT, WaitSampler, latency_summary
from tools.loopback_server import free_port, production_environment

SECRET_KEY = "bench-only-secret-key-not-for-production-0123456789abcdefghij"
PATH = "/api/v1/payments/"


def create_client_token() -> str:
    """A bank-channel API client of the ``api_client`` role with the ``payments`` scope, and a token
    (as tests/fuzz/seed.py makes them: through the service, under ``system_execution``)."""
    from django.contrib.auth import get_user_model

    from backoffice.api_clients.models import ClientKind
    from backoffice.api_clients.services import api_client_create, api_token_issue
    from backoffice.staff.roles import API_CLIENT, STAFF_ROLE_NAMES, assign_role
    from core_banking.audit.context import acting
    from core_banking.common.maker_checker import system_execution

    owner, _ = get_user_model().objects.get_or_create(username="bench-owner", defaults={"is_staff": True})
    assign_role(owner, STAFF_ROLE_NAMES[0])
    with acting(channel="command", actor_repr="bench"):
        with system_execution():
            client = api_client_create(name="bench-http", role=API_CLIENT, scopes=["payments"], owner=owner)
        client.kind = ClientKind.BANK_CHANNEL  # sees the whole bank, like the bank's own channels
        client.save(update_fields=["kind"])
        _token, plain = api_token_issue(client=client, created_by=owner)
    return plain


def server_environment(database_url: str, var_dir: str, port: int) -> dict[str, str]:
    """The production settings' environment, as the API fuzzing runs the server."""
    return production_environment(database_url=database_url, var_dir=var_dir, secret_key=SECRET_KEY,
                                  cache_prefix=f"bench-h-{port}")


class Server:
    """gunicorn in its own session (so that stopping it stops its workers and nothing else)."""

    def __init__(self, database_url: str, workers: int, worker_class: str, threads: int):
        self.port = free_port()
        self.var_dir = tempfile.mkdtemp(prefix="corebank-bench-h-")
        self.log_path = Path(self.var_dir) / "server.log"
        args = [sys.executable, "-m", "gunicorn", "backoffice.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "--worker-class", worker_class,
                "--timeout", "120", "--error-logfile", str(self.log_path)]
        if worker_class == "gthread":
            args += ["--threads", str(threads)]
        self.process = subprocess.Popen(  # noqa: S603
            args, cwd=ROOT, env=server_environment(database_url, self.var_dir, self.port),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )

    def wait_until_up(self, timeout: float = 90) -> None:
        url = f"http://127.0.0.1:{self.port}/healthz"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the server did not answer {url} within {timeout} s: {self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.var_dir, ignore_errors=True)


class Client(threading.Thread):
    """One keep-alive client: POSTs payments until the deadline, recording status and latency."""

    def __init__(self, port: int, token: str, accounts: list[int], tag: str, seed: int, start: threading.Barrier,
                 seconds: float):
        super().__init__(daemon=True)
        self.port, self.token, self.accounts, self.tag = port, token, accounts, tag
        self.rng = random.Random(seed)
        self.start_barrier, self.seconds = start, seconds
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.latencies: dict[int, list[float]] = {}
        self.connections = 0
        self.errors: dict[str, int] = {}
        self.first_problem: str | None = None
        self.warm_up_error: str | None = None
        self.started = self.ended = 0.0

    def post(self, key: str) -> tuple[int, bytes]:
        payer, payee = self.rng.sample(self.accounts, 2)
        body = json.dumps({"kind": "internal_transfer", "amount": str(cents(self.rng, 100, 10_000)),
                           "currency": "EUR", "debtor_account_id": payer, "creditor_account_id": payee})
        if self.conn.sock is None:
            self.connections += 1  # (re)connect: the server closed the last one
        self.conn.request("POST", PATH, body=body, headers={
            "Authorization": f"Bearer {self.token}", "Idempotency-Key": key, "Content-Type": "application/json",
            "Accept": "application/json"})
        response = self.conn.getresponse()
        return response.status, response.read()

    def warm_up(self, n: int = 2) -> None:
        for i in range(n):
            status, body = self.post(f"{self.tag}-warmup-{i}")
            if status != 201:
                raise RuntimeError(f"warm-up payment answered {status}: {body[:500]!r}")

    def run(self) -> None:
        # All clients warm up at once, so that every server worker has served requests (its first
        # one loads the URLconf, the seams, a database connection: about a second) before the clock.
        try:
            self.warm_up()
        except Exception as error:  # noqa: BLE001 - reported by scenario_http
            self.warm_up_error = f"{type(error).__name__}: {error}"
            self.start_barrier.abort()
            return
        self.connections = 0
        try:
            self.start_barrier.wait(timeout=300)
        except threading.BrokenBarrierError:
            return
        self.started = time.monotonic()
        deadline = self.started + self.seconds
        i = 0
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                status, body = self.post(f"{self.tag}-{i}")
            except (OSError, http.client.HTTPException) as error:
                name = type(error).__name__
                self.errors[name] = self.errors.get(name, 0) + 1
                self.conn.close()
                i += 1
                continue
            self.latencies.setdefault(status, []).append(time.perf_counter() - t0)
            if status != 201 and self.first_problem is None:
                self.first_problem = f"{status}: {body[:500]!r}"
            i += 1
        self.ended = time.monotonic()
        self.conn.close()


def scenario_http(url: str, accounts: list[int], token: str, seconds: float, server_workers: int = 4,
                  clients: int = 16, worker_class: str = "sync", threads: int = 4) -> dict:
    before_workers()  # fresh statistics; no Django connection left open in this process
    log(f"h: starting gunicorn ({server_workers} {worker_class} workers, production settings)")
    server = Server(url, server_workers, worker_class, threads)
    try:
        server.wait_until_up()
        start = threading.Barrier(clients + 1)
        threads_ = [Client(server.port, token, accounts, f"h-c{c}", hash(("h", c)), start, seconds)
                    for c in range(clients)]
        log(f"h: warming up {clients} clients (2 payments each, all at once)")
        for client in threads_:
            client.start()
        try:
            start.wait(timeout=300)
        except threading.BrokenBarrierError:
            errors = [c.warm_up_error for c in threads_ if c.warm_up_error]
            raise RuntimeError(f"warm-up failed: {errors[:3]}; server log: {server.log_tail()}") from None
        log(f"h: {clients} clients x {seconds}s")
        with WaitSampler(url) as waits:
            for client in threads_:
                client.join(timeout=seconds + 120)
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited during the run: {server.log_tail()}")
    finally:
        server.stop()
    wall = max(c.ended for c in threads_) - min(c.started for c in threads_)
    by_status: dict[int, list[float]] = {}
    errors: dict[str, int] = {}
    for client in threads_:
        for status, values in client.latencies.items():
            by_status.setdefault(status, []).extend(values)
        for name, count in client.errors.items():
            errors[name] = errors.get(name, 0) + count
    created = len(by_status.get(201, []))
    requests = sum(len(v) for v in by_status.values())
    problems = [c.first_problem for c in threads_ if c.first_problem]
    out = {
        "description": __doc__.strip().split("\n\n")[0].replace("\n", " "),
        "server": {"workers": server_workers, "worker_class": worker_class,
                   **({"threads": threads} if worker_class == "gthread" else {}),
                   "settings": "backoffice.settings.production"},
        "clients": clients,
        "seconds": round(wall, 3),
        "requests": requests,
        "payments": created,
        "payments_per_second": round(created / wall, 1) if wall else None,
        "requests_per_second": round(requests / wall, 1) if wall else None,
        "latency_ms": latency_summary([x for v in by_status.values() for x in v]),
        "latency_ms_201": latency_summary(by_status.get(201, [])),
        "status_codes": {str(k): len(v) for k, v in sorted(by_status.items())},
        "connections_opened": sum(c.connections for c in threads_),
        "db_wait_profile": waits.summary(),
    }
    if errors:
        out["client_errors"] = errors
    if problems:
        out["first_non_201"] = problems[0]
    log(f"h: {out['payments_per_second']} payments/s, p99 {(out['latency_ms'] or {}).get('p99')} ms, "
        f"statuses {out['status_codes']}")
    return out
