"""Shared helpers: the bench database, Django bootstrap, worker processes, statistics, machine info.

Nothing here imports Django at module level, so that ``rawsql`` workers stay Django-free.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import platform
import subprocess
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_DB_NAME = "corebank_bench"
DEFAULT_DB_URL = f"postgresql://postgres@127.0.0.1:5432/{DEFAULT_DB_NAME}"
SETTINGS_MODULE = "backoffice.settings.test"
# Worker processes are forked from a parent that has set Django up and closed its connections:
# each child opens its own connection on first use. "spawn" also works (slower to start).
START_METHOD = os.environ.get("BENCH_START_METHOD", "fork")


# --- the bench database ------------------------------------------------------------------------


def bench_database_url(explicit: str | None = None) -> str:
    """The URL of the bench's own database.

    ``--database-url`` or ``BENCH_DATABASE_URL`` win; otherwise the server of ``DATABASE_URL`` (which
    ``make bench`` sets to the dev database) is used with the database name replaced by
    ``corebank_bench``, so the bench never writes to the dev or test database. The database is
    dropped at every run, so its name must contain "bench".
    """
    url = explicit or os.environ.get("BENCH_DATABASE_URL")
    if not url:
        base = os.environ.get("DATABASE_URL", "")
        if base.startswith(("postgres://", "postgresql://")):
            parts = urlsplit(base)
            url = urlunsplit(parts._replace(path=f"/{DEFAULT_DB_NAME}", query=""))
        else:
            url = DEFAULT_DB_URL
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to use database {name!r}: the bench drops its database, "
                         "so the name must contain 'bench'")
    return url


def _admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def recreate_database(url: str) -> None:
    """Drop (terminating stray sessions) and create the bench database: every run starts empty."""
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    """Point Django at the bench database (before setup, so nothing else is ever connected)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


# --- worker processes ----------------------------------------------------------------------------


def run_workers(prepare: Callable, worker_args: Sequence[tuple]) -> list[dict]:
    """Run ``prepare(*args)`` in one process per entry of ``worker_args``; it connects and warms up,
    and returns a ``run()`` callable. All workers then pass a barrier together (so process start-up
    and connection set-up are not measured) and each returns one result dict from ``run()``.

    ``prepare`` must be a module-level function. Django connections must be closed in the parent
    before this is called (forked children must not share the parent's socket).
    """
    ctx = mp.get_context(START_METHOD)
    start = ctx.Barrier(len(worker_args) + 1)
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker_main, args=(start, results, prepare, args), daemon=True)
             for args in worker_args]
    for p in procs:
        p.start()
    try:
        start.wait(timeout=300)
    except threading.BrokenBarrierError:
        pass  # a worker failed to prepare: its error is in the results
    out = [results.get(timeout=3600) for _ in procs]  # drain before join (a full pipe blocks exit)
    for p in procs:
        p.join(timeout=60)
    errors = [r["error"] for r in out if r.get("error")]
    if errors:
        raise RuntimeError("worker failed:\n" + "\n".join(errors))
    return out


def _worker_main(start, results, prepare: Callable, args: tuple) -> None:
    try:
        run = prepare(*args)
        # as the web server's and Celery's worker processes do once the application is loaded
        from core_banking.common.runtime import freeze_loaded_objects

        freeze_loaded_objects()
    except BaseException:
        start.abort()
        results.put({"error": traceback.format_exc()})
        return
    try:
        start.wait(timeout=300)
        results.put(run())
    except BaseException:
        results.put({"error": traceback.format_exc()})


def combine(results: list[dict]) -> dict:
    """Totals over workers: count, wall seconds (first start to last end), rate, latencies."""
    count = sum(r["count"] for r in results)
    seconds = max(r["end"] for r in results) - min(r["start"] for r in results)
    latencies = [x for r in results for x in r.get("latencies", [])]
    out = {
        "workers": len(results),
        "count": count,
        "seconds": round(seconds, 3),
        "transfers_per_second": round(count / seconds, 1) if seconds else None,
        "latency_ms": latency_summary(latencies),
    }
    rejected = sum(r.get("rejected", 0) for r in results)
    if rejected:
        out["rejected"] = rejected
    for key in ("sql_seconds", "queries"):
        if all(key in r for r in results):
            out[key] = round(sum(r[key] for r in results), 3)
    if "sql_seconds" in out and count:
        busy = sum(r["end"] - r["start"] for r in results)
        out["sql_share_of_worker_time"] = round(out.pop("sql_seconds") / busy, 3)
        out["queries_per_transfer"] = round(out.pop("queries") / count, 2)
    return out


# --- statistics ----------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return float("nan")
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def latency_summary(seconds: Sequence[float]) -> dict | None:
    """p50/p95/p99/max in milliseconds of latencies given in seconds."""
    if not seconds:
        return None
    values = sorted(seconds)
    ms = {f"p{int(q * 100)}": round(percentile(values, q) * 1000, 3) for q in (0.5, 0.95, 0.99)}
    ms["mean"] = round(sum(values) / len(values) * 1000, 3)
    ms["max"] = round(values[-1] * 1000, 3)
    ms["samples"] = len(values)
    return ms


class WaitSampler:
    """Samples ``pg_stat_activity`` of the bench database from a thread while workers run: the share
    of backend samples per state and wait event. ``active: on CPU`` is the server executing,
    ``Lock/transactionid`` and ``Lock/tuple`` are row-lock queues, ``IO/WALSync`` or
    ``LWLock/WALWrite`` are commit flushes, and ``idle``/``idle in transaction`` with
    ``Client/ClientRead`` is the server waiting for the application (Python, or the network)."""

    def __init__(self, url: str, interval: float = 0.05):
        self.url, self.interval = url, interval
        self.counts: dict[str, int] = {}
        self.samples = 0
        self._stop = threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        sql = ("SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
               "WHERE datname = current_database() AND pid <> pg_backend_pid() "
               "AND backend_type = 'client backend'")
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(self.interval):
                for state, wait_type, wait_event in conn.execute(sql).fetchall():
                    key = f"{state}: {wait_type}/{wait_event}" if wait_type else f"{state}: on CPU"
                    self.counts[key] = self.counts.get(key, 0) + 1
                    self.samples += 1

    def summary(self) -> dict:
        """Share of backend samples per state and wait event, largest first."""
        total = self.samples or 1
        return {k: round(v / total, 3) for k, v in sorted(self.counts.items(), key=lambda kv: -kv[1])}


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


# --- environment -----------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info(url: str) -> dict:
    import django

    with psycopg.connect(url) as conn:
        pg = {
            "version": conn.execute("SHOW server_version").fetchone()[0],
            **{
                name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("shared_buffers", "synchronous_commit", "fsync", "max_connections", "work_mem")
            },
        }
    host = urlsplit(url).hostname
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "psycopg": psycopg.__version__,
        "postgresql": pg,
        "database": {"host": host, "name": urlsplit(url).path.lstrip("/"),
                     "same_host": host in {"127.0.0.1", "localhost", "::1"}},
        "git": {"commit": _git("rev-parse", "--short", "HEAD"), "dirty": bool(_git("status", "--porcelain"))},
        "worker_start_method": START_METHOD,
        "load_average_at_start": load_average(),
    }


def load_average() -> list[float] | None:
    """1/5/15-minute load averages: anything well above 0 before a run means the machine is shared
    with other work and the figures are noisier."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def write_results(doc: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = RESULTS_DIR / f"ledger-{stamp}.json"
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    return path
