"""The bounded fuzz run: schemathesis against a live server of the project, every role's token.

``python -m tests.fuzz.run`` (or ``pytest tests/fuzz``, which ``make test`` runs) does it all on a
fresh machine, with PostgreSQL and Redis up:

1. creates its own PostgreSQL database (``fuzz_<name of DATABASE_URL's database>``; dropped
   first if it is left over, dropped again at the end), migrates it and seeds it
   (``tests/fuzz/seed.py``: ``seed_demo`` and one API client and token per role);
2. starts gunicorn with the production settings on a free loopback port (two workers, Celery
   tasks in-process, the cache in Redis under a prefix of its own);
3. runs ``schemathesis run`` against ``/api/schema/`` with the project's
   ``tests/fuzz/schemathesis.toml`` (the checks, and the custom problem+json check of
   ``tests/fuzz/hooks.py``), a fixed seed, one token per run:

   * the ``fuzzing`` phase (random valid and invalid requests, a few examples per operation) of
     every operation, once per token: the seven roles' bank-channel clients and a partner client;
   * the ``coverage`` phase (schema-derived boundary values, missing and wrong-typed fields, ...)
     of every operation once, with the first role of ``COVERAGE_ORDER`` that
     ``tests/authz/table.py`` lets through its door;

4. writes ``var/fuzz/summary.json`` (operations, test cases, requests the server logged, failures,
   seconds) and each run's log and JSON report beside it, prints the summary; ``main`` exits 1 on
   any failure or error.

Knobs (environment): ``FUZZ_SEED`` (17), ``FUZZ_EXAMPLES`` (examples per operation and token in
the fuzzing phase, 3), ``FUZZ_COVERAGE`` (``0`` skips the coverage phase), ``FUZZ_CLIENTS``
(comma-separated client names, e.g. ``fuzz-finance``; all by default), ``FUZZ_DATABASE_URL`` (the
database to create), ``FUZZ_DIR`` (``var/fuzz``), ``FUZZ_PARALLEL`` (schemathesis processes at once, 2: one per core).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

from tools.loopback_server import free_port, production_environment

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/corebank"
SECRET_KEY = "fuzz-only-secret-key-not-for-production-0123456789abcdefghij"
# The role that runs an operation's coverage phase: the first of these its door lets through.
COVERAGE_ORDER = ("operations", "finance", "compliance_officer", "compliance_reviewer", "api_client",
                  "support_agent", "administrator")


@dataclass
class Summary:
    seed: int
    examples: int
    operations: int = 0
    tokens: int = 0
    test_cases: int = 0
    requests: int = 0
    failures: int = 0
    errors: int = 0
    elapsed_seconds: float = 0.0
    fuzz_seconds: float = 0.0
    status_codes: dict[str, int] = field(default_factory=dict)
    runs: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failures == 0 and self.errors == 0 and self.tokens > 0 and self.operations > 0


def fuzz_database_url() -> str:
    explicit = os.environ.get("FUZZ_DATABASE_URL")
    if explicit:
        return explicit
    parts = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    if not parts.scheme.startswith("postgres"):
        parts = urlsplit(DEFAULT_DATABASE_URL)
    name = parts.path.lstrip("/") or "corebank"
    return urlunsplit(parts._replace(path=f"/fuzz_{name}"))


def _recreate_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not drop_only:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def server_environment(database_url: str, var_dir: Path, port: int) -> dict[str, str]:
    # One address and eight clients send thousands of requests a minute, some with no token (the
    # schema's optional security): the throttles (raised by production_environment) and the
    # sign-in lockout have their own tests and would only turn the run into 429s.
    return production_environment(database_url=database_url, var_dir=str(var_dir), secret_key=SECRET_KEY,
                                  cache_prefix=f"fuzz-{port}", AXES_ENABLED="0")


def _run(args: list[str], env: dict[str, str], log: Path, timeout: float) -> str:
    with log.open("w") as out:
        done = subprocess.run(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=out, text=True,
                              timeout=timeout, check=False)
    with log.open("a") as out:
        out.write(done.stdout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed ({done.returncode}); see {log}")
    return done.stdout


def _wait_until_up(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server did not answer {url} within {timeout} s")


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (loopback)
        return response.read()


def _schemathesis(schema_file: Path, base_url: str, token: str, *, seed: int, examples: int, phase: str,
                  operation_ids: list[str], report: Path, log: Path, env: dict[str, str]) -> dict:
    args = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", str(schema_file),
        "--url", base_url,
        "--header", f"Authorization: Bearer {token}",
        "--seed", str(seed), "--max-examples", str(examples), "--phases", phase,
        # One worker: hypothesis describing its strategies from two threads at once trips a CPython 3.11
        # race in `ast` ("AST constructor recursion depth mismatch"), an error of the tool, not the API.
        "--workers", "1", "--no-color", "--report", "json", "--report-json-path", str(report),
    ]
    for operation_id in operation_ids:
        args += ["--include-operation-id", operation_id]
    started = time.monotonic()
    with log.open("w") as out:
        done = subprocess.run(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=1800,
                              check=False)
    elapsed = time.monotonic() - started
    if not report.exists():
        return {"exit_code": done.returncode, "seconds": round(elapsed, 1), "operations": 0, "test_cases": 0,
                "failures": 0, "errors": 1, "failure_kinds": [], "log": str(log)}
    data = json.loads(report.read_text())
    return {
        "exit_code": done.returncode,
        "seconds": round(elapsed, 1),
        "operations": data["operations"]["tested"],
        "test_cases": data["test_cases"]["generated"],
        "failures": sum(item["count"] for item in data["failures"]),
        "errors": len(data["errors"]) + (1 if done.returncode not in (0, 1) else 0),
        "failure_kinds": [f"{item['code']} {item['title']}: {', '.join(item['operations'])}"
                          for item in data["failures"]],
        "log": str(log),
    }


def coverage_assignment(schema: dict) -> dict[str, list[str]]:
    """Operation ids per client for the coverage phase: each operation once, with the first role of
    ``COVERAGE_ORDER`` that ``tests/authz/table.py`` lets through its door (a role refused at the
    door would only collect 403s), the operations role when the table has no row for it."""
    from tests.authz.table import ALL, API_ROUTES

    doors = {}
    for (route, method), row in API_ROUTES.items():
        doors[(re.sub(r"<[^>]+>", "{}", route), method)] = (route, row.roles)
    assigned: dict[str, list[str]] = {}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                continue
            normalized = re.sub(r"\{[^}]+\}", "{}", path).lstrip("/")
            door = doors.get((normalized, method.upper()))
            if door is None:  # a route with a parameter for a literal segment (account transitions)
                literal = re.sub(r"\{[^}]+\}", "1", path).lstrip("/")
                door = next((value for (route, verb), value in doors.items() if verb == method.upper()
                             and re.fullmatch(re.sub(r"\\\{\\\}", "[^/]+", re.escape(route)), literal)), None)
            roles = door[1] if door else ALL
            role = next((name for name in COVERAGE_ORDER if roles == ALL or name in roles), COVERAGE_ORDER[0])
            assigned.setdefault(client_name(role), []).append(operation["operationId"])
    return assigned


def client_name(role: str) -> str:
    return f"fuzz-{role.replace('_', '-')}"


def _status_codes(access_log: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    if access_log.exists():
        for line in access_log.read_text(errors="replace").splitlines():
            status = line.strip()
            counts[status] = counts.get(status, 0) + 1
    return dict(sorted(counts.items()))


def run() -> Summary:
    started = time.monotonic()
    seed = int(os.environ.get("FUZZ_SEED", "17"))
    examples = int(os.environ.get("FUZZ_EXAMPLES", "3"))
    with_coverage = os.environ.get("FUZZ_COVERAGE", "1") != "0"
    parallel = int(os.environ.get("FUZZ_PARALLEL", "2"))
    wanted = {name.strip() for name in os.environ.get("FUZZ_CLIENTS", "").split(",") if name.strip()}
    out_dir = Path(os.environ.get("FUZZ_DIR") or ROOT / "var" / "fuzz")
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    summary = Summary(seed=seed, examples=examples)
    database_url = fuzz_database_url()
    port = free_port()
    var_dir = Path(tempfile.mkdtemp(prefix="corebank-fuzz-"))
    env = server_environment(database_url, var_dir, port)
    access_log = out_dir / "access.log"
    server = None
    _recreate_database(database_url)
    try:
        manage = [sys.executable, "manage.py"]
        _run([*manage, "migrate", "--noinput"], env, out_dir / "migrate.log", timeout=900)
        seeded = json.loads(_run([sys.executable, "-m", "tests.fuzz.seed"], env, out_dir / "seed.log",
                                 timeout=900).strip().splitlines()[-1])
        tokens = seeded["tokens"]
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "backoffice.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--timeout", "120", "--access-logfile", str(access_log),
             "--access-logformat", "%(s)s", "--error-logfile", str(out_dir / "server.log")],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        schema_url = f"http://127.0.0.1:{port}/api/schema/"
        _wait_until_up(schema_url, server)
        fuzz_started = time.monotonic()
        st_env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
        st_env["SCHEMATHESIS_HOOKS"] = "tests.fuzz.hooks"
        st_env["FUZZ_DECOY_CLIENT_ID"] = str(seeded["decoy_client_id"])  # read by schemathesis.toml
        st_env["FUZZ_DECOY_TOKEN_PREFIX"] = seeded["decoy_token_prefix"]
        # Fetched once (generating it is a second of the server's time) and read from the file by every run.
        schema = yaml.safe_load(_fetch(schema_url))
        schema_file = out_dir / "openapi.json"
        schema_file.write_text(json.dumps(schema))
        base_url = f"http://127.0.0.1:{port}"
        coverage = coverage_assignment(schema) if with_coverage else {}
        summary.operations = sum(len(ids) for ids in coverage.values())
        jobs = []
        for name, token in tokens.items():
            if wanted and name not in wanted:
                continue
            summary.tokens += 1
            if coverage.get(name):
                jobs.append((name, token, "coverage", coverage[name]))
            jobs.append((name, token, "fuzzing", []))
        jobs.sort(key=lambda job: -len(job[3]))  # the longest (coverage) runs first

        def one(job):
            name, token, phase, operation_ids = job
            label = f"{name}-{phase}"
            result = _schemathesis(schema_file, base_url, token, seed=seed, examples=examples, phase=phase,
                                   operation_ids=operation_ids, report=out_dir / f"{label}.json",
                                   log=out_dir / f"{label}.log", env=st_env)
            print(f"fuzz {name} {phase}: {result['operations']} operations, {result['test_cases']} cases, "
                  f"{result['failures']} failures, {result['errors']} errors, {result['seconds']} s", flush=True)
            return {"client": name, "phase": phase, **result}

        with ThreadPoolExecutor(max_workers=parallel) as pool:
            summary.runs = list(pool.map(one, jobs))
        for result in summary.runs:
            if result["phase"] == "fuzzing":
                summary.operations = max(summary.operations, result["operations"])
            summary.test_cases += result["test_cases"]
            summary.failures += result["failures"]
            summary.errors += result["errors"]
        summary.fuzz_seconds = round(time.monotonic() - fuzz_started, 1)
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        _recreate_database(database_url, drop_only=True)
        shutil.rmtree(var_dir, ignore_errors=True)
    summary.status_codes = _status_codes(access_log)
    summary.requests = sum(summary.status_codes.values())
    summary.elapsed_seconds = round(time.monotonic() - started, 1)
    document = {key: getattr(summary, key) for key in summary.__dataclass_fields__}
    (out_dir / "summary.json").write_text(json.dumps(document, indent=2) + "\n")
    print(f"fuzz summary: {summary.operations} operations x {summary.tokens} tokens, {summary.test_cases} test "
          f"cases, {summary.requests} requests, {summary.failures} failures, {summary.errors} errors, "
          f"{summary.fuzz_seconds} s fuzzing, {summary.elapsed_seconds} s in all ({out_dir / 'summary.json'})",
          flush=True)
    return summary


def main() -> int:
    return 0 if run().ok else 1


if __name__ == "__main__":
    sys.exit(main())
