"""``python -m tools.mutate`` (``make mutate``): mutation testing of the money arithmetic (issue 20).

mutmut changes one thing at a time in a module (``<`` into ``<=``, ``+ 1`` into ``+ 2``, ``and``
into ``or``, a string into another, an argument dropped, ...) and runs the tests that exercise
that module. A mutant the tests do not notice *survives*: some behaviour of the module is not
pinned down by any test. The score of a module is the share of its behaviour-changing mutants
the tests kill; below ``--threshold`` (95 %) the command fails.

How a run goes:

1. The work tree is copied to ``var/mutate/tree`` (without ``.git``, ``.venv``, ``var``): mutmut 2
   rewrites the file it mutates in place, so it must never touch the files being edited, or
   imported by a test run, in the real work tree.
2. For each module of ``MODULES``, one after the other (one test process at a time): its tests
   run once on the unmutated code (with ``--create-db`` for the modules whose tests use
   PostgreSQL), then ``mutmut run`` tries every mutant with those tests only:
   ``pytest -x -q -p no:randomly --hypothesis-seed=0`` (deterministic), plus ``--reuse-db`` for
   the DB-backed ones, or ``-p no:django --noconftest`` for the pure ones (no Django at all).
3. The results come from mutmut's cache. A survivor listed in ``tools/mutation_equivalents.toml``
   is an *equivalent* mutant (it cannot change what the module does, each entry says why) and is
   left out of the score; an entry that no longer matches a survivor is reported as stale.
   A mutant that makes the tests time out counts as killed (reported apart).

Output: one line per module on stdout, the surviving mutants as ``file:line: original -> mutant``,
and a JSON summary in ``var/mutate/summary.json`` (``--json``). Exit status 0 when every module
reaches the threshold, 1 when one does not, 2 when the tests fail on the unmutated code.

The tests of ``fee_pricing`` and ``limit_counters`` use PostgreSQL: the test database is
``test_<name>`` of ``--database-url`` (default: ``MUTATE_DATABASE_URL``, else ``DATABASE_URL``'s
server with the database ``corebank_mutate``), created once per run and reused by every mutant.
Their selection holds no transactional test (those empty the database when they end).
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "mutate"
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.toml"
DEFAULT_THRESHOLD = 95.0
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "var", "__pycache__", "*.pyc", ".pytest_cache",
                                     ".hypothesis", ".ruff_cache", ".mutmut-cache", "mutants", "test-artifacts",
                                     "build", "*.egg-info", "node_modules")


@dataclass(frozen=True)
class Module:
    """One mutation target: the file mutated and the tests that exercise it."""

    path: str
    tests: tuple[str, ...]
    db: bool = False  # the tests need PostgreSQL


MODULES: dict[str, Module] = {
    "money": Module(
        "core_banking/common/money.py",
        ("tests/core_banking/common/test_money.py", "tests/core_banking/interest/test_calc.py"),
    ),
    "daycount": Module(
        "core_banking/interest/daycount.py",
        ("tests/core_banking/interest/test_daycount.py", "tests/core_banking/interest/test_daycount_edges.py"),
    ),
    "interest_calc": Module(
        "core_banking/interest/calc.py",
        ("tests/core_banking/interest/test_calc.py", "tests/core_banking/interest/test_calc_edges.py"),
    ),
    "fee_pricing": Module(
        "backoffice/tariffs/policy.py",
        ("tests/backoffice/tariffs/test_worked_examples.py", "tests/backoffice/tariffs/test_pricing_edges.py",
         "tests/backoffice/tariffs/test_released_payments.py"),
        db=True,
    ),
    "limit_counters": Module(
        "backoffice/limits/checks.py",
        ("tests/backoffice/limits/test_worked_examples.py", "tests/backoffice/limits/test_counter_edges.py",
         "tests/backoffice/limits/test_payments.py"),
        db=True,
    ),
}

KILLED, TIMEOUT, SUSPICIOUS, SURVIVED, SKIPPED, UNTESTED = (
    "ok_killed", "bad_timeout", "ok_suspicious", "bad_survived", "skipped", "untested")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def database_url(explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get("MUTATE_DATABASE_URL"):
        return os.environ["MUTATE_DATABASE_URL"]
    base = urlsplit(os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/corebank")
    return urlunsplit((base.scheme, base.netloc, "/corebank_mutate", base.query, base.fragment))


def pytest_args(module: Module, *, create_db: bool) -> list[str]:
    args = ["-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:xdist", "--hypothesis-seed=0"]
    if module.db:
        args.append("--create-db" if create_db else "--reuse-db")
    else:  # pure arithmetic: no Django, no conftest fixtures (about 2 s less a mutant)
        args.extend(["-p", "no:django", "--noconftest"])
    return [*args, *module.tests]


def runner_command(module: Module, *, create_db: bool = False) -> list[str]:
    return [sys.executable, "-m", "tools.mutate_runner", *pytest_args(module, create_db=create_db)]


def snapshot(tree: Path) -> None:
    """Copy the work tree where mutmut may rewrite it."""
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(ROOT, tree, ignore=COPY_IGNORE, symlinks=True)


def load_equivalents() -> list[dict]:
    if not EQUIVALENTS.exists():
        return []
    entries = tomllib.loads(EQUIVALENTS.read_text())["equivalent"]
    for entry in entries:
        missing = {"module", "line", "mutant", "reason"} - entry.keys()
        if missing:
            raise SystemExit(f"{EQUIVALENTS}: an entry lacks {', '.join(sorted(missing))}: {entry}")
        if entry["module"] not in MODULES:
            raise SystemExit(f"{EQUIVALENTS}: unknown module {entry['module']!r}")
    return entries


def mutated_lines(tree: Path, filename: str, line: str, index: int, line_number: int) -> tuple[str, str]:
    """The changed lines of one mutant, before and after, stripped and joined with newlines."""
    from mutmut import Context, RelativeMutationID, mutate

    source = (tree / filename).read_text()
    context = Context(source=source, filename=filename,
                      mutation_id=RelativeMutationID(line=line, index=index, line_number=line_number))
    mutated, count = mutate(context)
    if not count:
        return line.strip(), line.strip()
    before, after = [], []
    matcher = difflib.SequenceMatcher(a=source.splitlines(), b=mutated.splitlines(), autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag != "equal":
            before.extend(s.strip() for s in source.splitlines()[a0:a1])
            after.extend(s.strip() for s in mutated.splitlines()[b0:b1])
    return "\n".join(before).strip(), "\n".join(after).strip()


def read_results(tree: Path) -> list[dict]:
    connection = sqlite3.connect(tree / ".mutmut-cache")
    try:
        rows = connection.execute(
            'SELECT s.filename, l.line, l.line_number, m."index", m.status FROM Mutant m '
            "JOIN Line l ON m.line = l.id JOIN SourceFile s ON l.sourcefile = s.id "
            'ORDER BY s.filename, l.line_number, m."index"').fetchall()
    finally:
        connection.close()
    return [{"file": f, "line": line, "line_number": n + 1, "index": i, "status": status,
             "_line_index": n} for f, line, n, i, status in rows]


def run_module(name: str, module: Module, *, tree: Path, env: dict, keep: bool, equivalents: list[dict],
               used: set[int]) -> dict:
    cache = WORK / "cache" / f"{name}.mutmut-cache"
    tree_cache = tree / ".mutmut-cache"
    tree_cache.unlink(missing_ok=True)
    if keep and cache.exists():
        shutil.copy(cache, tree_cache)
    for test in module.tests:
        if not (tree / test.split("::")[0]).exists():
            raise SystemExit(f"{name}: no test file {test}")

    started = time.monotonic()
    log(f"== {name}: {module.path}, tests on the unmutated code")
    baseline = subprocess.run(runner_command(module, create_db=True), cwd=tree, env=env,  # noqa: S603 (our argv)
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if baseline.returncode != 0:
        log(baseline.stdout[-4000:])
        return {"path": module.path, "tests": list(module.tests), "error": "the tests fail on the unmutated code"}

    log(f"== {name}: mutmut run")
    tests_dirs = sorted({str(Path(t.split("::")[0]).parent) for t in module.tests})
    command = [sys.executable, "-m", "mutmut", "run", "--paths-to-mutate", module.path,
               "--tests-dir", ":".join(tests_dirs), "--runner", shlex.join(runner_command(module)),
               "--no-progress", "--simple-output", "--test-time-base", "30"]
    with open(WORK / f"{name}.log", "w") as out:
        # Its own process group: mutmut runs the mutants in a multiprocessing worker, which an
        # interrupted run must stop too.
        process = subprocess.Popen(command, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                   start_new_session=True)
        try:
            process.wait()
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait()
    if not tree_cache.exists():
        return {"path": module.path, "tests": list(module.tests), "error": f"mutmut wrote no cache: {name}.log"}
    cache.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(tree_cache, cache)

    counts = dict.fromkeys(("killed", "timeout", "survived", "equivalent", "skipped", "untested"), 0)
    survivors, equivalent = [], []
    for row in read_results(tree):
        status = row["status"]
        if status in (KILLED, SUSPICIOUS):
            counts["killed"] += 1
            continue
        if status == TIMEOUT:
            counts["timeout"] += 1
            continue
        if status in (SKIPPED, UNTESTED):
            counts[status] += 1
            continue
        before, after = mutated_lines(tree, row["file"], row["line"], row["index"], row["_line_index"])
        item = {"file": row["file"], "line_number": row["line_number"], "line": before, "mutant": after}
        match = next((i for i, e in enumerate(equivalents) if e["module"] == name and e["line"].strip() == before
                      and e["mutant"].strip() == after), None)
        if match is not None:
            used.add(match)
            counts["equivalent"] += 1
            equivalent.append({**item, "reason": equivalents[match]["reason"]})
        else:
            counts["survived"] += 1
            survivors.append(item)
    total = sum(counts.values())
    behaviour_changing = total - counts["equivalent"] - counts["skipped"]
    detected = counts["killed"] + counts["timeout"]
    score = 100.0 * detected / behaviour_changing if behaviour_changing else 100.0
    return {"path": module.path, "tests": list(module.tests), "mutants": total, **counts,
            "behaviour_changing": behaviour_changing, "score": round(score, 1),
            "seconds": round(time.monotonic() - started), "survivors": survivors, "equivalents": equivalent}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.mutate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--module", action="append", choices=sorted(MODULES),
                        help="only this module (repeatable; default: all, in order)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help=f"minimum score in percent (default {DEFAULT_THRESHOLD:g})")
    parser.add_argument("--keep", action="store_true",
                        help="reuse the previous run's results (var/mutate/cache): killed mutants are not tried again")
    parser.add_argument("--database-url", help="server and database whose test_ database the DB-backed tests use")
    parser.add_argument("--json", type=Path, default=WORK / "summary.json", help="where to write the summary")
    parser.add_argument("--list", action="store_true", help="print the modules and their tests, and exit")
    args = parser.parse_args(argv)

    names = args.module or list(MODULES)
    if args.list:
        for name in names:
            print(f"{name}: {MODULES[name].path}\n  " + "\n  ".join(MODULES[name].tests))
        return 0

    import mutmut

    equivalents = load_equivalents()
    WORK.mkdir(parents=True, exist_ok=True)
    tree = WORK / "tree"
    snapshot(tree)
    env = {**os.environ, "DATABASE_URL": database_url(args.database_url), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop mutmut's process group on the way out
    results, used = {}, set()
    for name in names:
        results[name] = run_module(name, MODULES[name], tree=tree, env=env, keep=args.keep,
                                   equivalents=equivalents, used=used)
    stale = [e for i, e in enumerate(equivalents) if e["module"] in names and i not in used]
    failed_baseline = any("error" in r for r in results.values())
    ok = not failed_baseline and all(r["score"] >= args.threshold for r in results.values())
    summary = {"tool": f"mutmut {mutmut.__version__}", "finished_at": dt.datetime.now(dt.UTC).isoformat(),
               "threshold": args.threshold, "ok": ok, "modules": results, "stale_equivalents": stale}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary, indent=2) + "\n")

    print(f"{'module':<16} {'killed':>7} {'timeout':>7} {'survived':>8} {'equiv.':>6} {'score':>7}")
    for name, r in results.items():
        if "error" in r:
            print(f"{name:<16} ERROR: {r['error']}")
            continue
        mark = "" if r["score"] >= args.threshold else f"  < {args.threshold:g} %"
        print(f"{name:<16} {r['killed']:>7} {r['timeout']:>7} {r['survived']:>8} {r['equivalent']:>6} "
              f"{r['score']:>6.1f}%{mark}")
    for name, r in results.items():
        for s in r.get("survivors", []):
            print(f"survived {name} {s['file']}:{s['line_number']}: {s['line']!r} -> {s['mutant']!r}")
    for e in stale:
        print(f"stale equivalent entry ({e['module']}): {e['line']!r} -> {e['mutant']!r}")
    print(f"summary: {args.json}")
    if failed_baseline:
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
