"""``python -m bench``: the ledger benchmark. One command, one JSON document on stdout (also written
to ``bench/results/ledger-<timestamp>.json``); progress goes to stderr. See bench/README.md.

Scenarios: a = single transfers, b = single transfers crediting a hot fee account (1 and 16 shards),
c = bulk path, d = raw-SQL floor, d1 = the one-round-trip floor, e = reads over a large ledger; opt-in:
g = a pure-SQL ledger for comparison, h = payments over HTTP, p = profile of one worker, u = CPU per
transfer and per payment (client and server apart), y = the payment path, yr = the payment path with
half of the payments refused. ``--check`` compares the ratios with
bench/floors.json.
Every run starts from a freshly created, migrated, empty database and ends with ``verify_ledger``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import traceback

from bench import util

DEFAULT_SCENARIOS = "a,b,c,d,d1,e"
ALL_SCENARIOS = {"a", "b", "c", "d", "d1", "e", "g", "h", "p", "u", "y", "yr"}


def parse_args(argv=None) -> argparse.Namespace:
    def int_list(text: str) -> list[int]:
        return [int(x) for x in text.split(",") if x.strip()]

    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=10, help="duration of each timed level (default 10)")
    p.add_argument("--postings", type=int, default=1_000_000,
                   help="postings to load for the read scenario e (default 1,000,000)")
    p.add_argument("--only", default=DEFAULT_SCENARIOS,
                   help=f"comma-separated scenarios among {','.join(sorted(ALL_SCENARIOS))} (default "
                        f"{DEFAULT_SCENARIOS}; opt-in: g the pure-SQL ledger, h HTTP, p profile, u CPU per transfer "
                        "and per payment, y the payment path, yr the payment path with half refused)")
    p.add_argument("--workers", type=int_list, default=[1, 4, 8], help="worker processes per level (default 1,4,8)")
    p.add_argument("--accounts", type=int, default=50, help="constrained accounts for a-d (default 50)")
    p.add_argument("--bulk-sizes", type=int_list, default=[1000, 5000], help="batch sizes for c (default 1000,5000)")
    p.add_argument("--read-accounts", type=int, default=10_000, help="accounts for e (default 10,000)")
    p.add_argument("--read-samples", type=int, default=1000, help="timed reads per selector in e (default 1000)")
    p.add_argument("--load-batch", type=int, default=5000, help="bulk batch size of e's load (default 5000)")
    p.add_argument("--database-url", default=None,
                   help="bench database (dropped and recreated!); default: BENCH_DATABASE_URL, else the "
                        "server of DATABASE_URL with database corebank_bench")
    p.add_argument("--no-verify", action="store_true", help="skip the final verify_ledger")
    p.add_argument("--http-workers", type=int, default=4, help="gunicorn worker processes for h (default 4)")
    p.add_argument("--http-clients", type=int, default=16, help="concurrent keep-alive clients for h (default 16)")
    p.add_argument("--http-worker-class", default="gthread", choices=["sync", "gthread"],
                   help="gunicorn worker class for h (default gthread, as gunicorn.conf.py deploys it)")
    p.add_argument("--http-threads", type=int, default=4, help="threads per gunicorn worker with gthread (default 4)")
    p.add_argument("--check", nargs="?", const="-", default=None, metavar="RESULTS_JSON",
                   help="compare ratios against bench/floors.json and exit 1 when one falls more than 20%% "
                        "below its floor: the given results JSON (no run), or, without a file, the run just made")
    p.add_argument("--floors", default=None, help="the floors file for --check (default bench/floors.json)")
    args = p.parse_args(argv)
    args.only = sorted({s.strip() for s in args.only.split(",") if s.strip()})
    unknown = set(args.only) - ALL_SCENARIOS
    if unknown:
        p.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    if args.http_workers < 1 or args.http_clients < 1:
        p.error("--http-workers and --http-clients must be at least 1")
    return args


def merge(into: dict, new: dict) -> None:
    """Merge nested dicts (levels of one scenario run one worker count at a time)."""
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return round(numerator / denominator, 3) if numerator and denominator else None


def _level(scenario: dict | None, workers: int) -> dict | None:
    return (scenario or {}).get("by_workers", {}).get(str(workers))


def rate(scenario: dict | None, workers: int) -> float | None:
    """Transfers (or payments) per second of one worker level of a scenario."""
    level = _level(scenario, workers)
    if not level:
        return None
    return level.get("transfers_per_second", level.get("payments_per_second"))


def compute_ratios(scenarios: dict, workers: list[int], http_workers: int) -> dict:
    """Every ratio between scenarios of this run (the same machine, minutes apart: its noise mostly
    cancels). ``x_over_y_workers_n`` = x's rate / y's rate at n worker processes."""
    ratios: dict = {}
    a = scenarios.get("a_single_transfer")
    b = scenarios.get("b_hot_fee_account", {})
    d = scenarios.get("d_raw_sql")
    d1 = scenarios.get("d1_raw_sql_one_round_trip")
    g = scenarios.get("g_pure_sql_ledger")
    y = scenarios.get("y_payments")
    yr = scenarios.get("yr_payment_refusals")
    for n in workers:
        for shards in (1, 16):
            ratios[f"b_over_a_fee_shards_{shards}_workers_{n}"] = ratio(
                rate(b.get(f"fee_account_shards_{shards}"), n), rate(a, n))
        ratios[f"service_over_raw_workers_{n}"] = ratio(rate(a, n), rate(d, n))  # a / d
        ratios[f"a_over_d1_workers_{n}"] = ratio(rate(a, n), rate(d1, n))
        ratios[f"d_over_d1_workers_{n}"] = ratio(rate(d, n), rate(d1, n))
        ratios[f"a_over_g_workers_{n}"] = ratio(rate(a, n), rate(g, n))  # ours / theirs
        ratios[f"d1_over_g_workers_{n}"] = ratio(rate(d1, n), rate(g, n))
        ratios[f"payment_over_service_workers_{n}"] = ratio(rate(y, n), rate(a, n))  # y / a
        level = _level(yr, n)
        if level:
            # accepted payments/s with half of the attempts refused, against y's payments/s
            ratios[f"yr_accepted_over_y_workers_{n}"] = ratio(level["payments_per_second"], rate(y, n))
            # statements of an accepted payment per statement of a refused one: the higher, the
            # earlier a refusal stops (a refusal "costs what it takes to know it")
            ratios[f"yr_queries_accepted_over_refused_workers_{n}"] = ratio(
                level.get("queries_per_accepted"), level.get("queries_per_refused"))
    h = scenarios.get("h_http_payments")
    if h and "payments_per_second" in h:
        ratios[f"h_over_y_workers_{http_workers}"] = ratio(h["payments_per_second"], rate(y, http_workers))
    u = scenarios.get("u_cpu_per_operation")
    if u and "cpu_bound_ceiling" in u:
        # a transfer's CPU (client and server) / a payment's: y / a's ceiling once the cores are busy
        ratios["transfer_cpu_over_payment_cpu"] = u["cpu_bound_ceiling"]
    c = scenarios.get("c_bulk")
    if c and "by_batch_size" in c:
        ratios["bulk_best_transfers_per_second"] = max(
            level["transfers_per_second"] for level in c["by_batch_size"].values()
        )
    return {key: value for key, value in ratios.items() if value is not None}


def targets(scenarios: dict, ratios: dict, workers: list[int], http_workers: int) -> dict:
    """The design's performance targets (issue 18 and before), each with the measured value and
    whether it is met."""
    out = {}

    def check(name: str, value, ok) -> None:
        if value is not None:
            out[name] = {"value": value, "met": bool(ok(value))}

    top = max(workers)
    check(f"b_over_a_fee_shards_16_workers_{top} >= 0.8",
          ratios.get(f"b_over_a_fee_shards_16_workers_{top}"), lambda v: v >= 0.8)
    check("bulk transfers/s >= 10000", ratios.get("bulk_best_transfers_per_second"), lambda v: v >= 10_000)
    for n in workers:
        check(f"service_over_raw_workers_{n} >= 0.9 (a >= 0.9 x d)",
              ratios.get(f"service_over_raw_workers_{n}"), lambda v: v >= 0.9)
        check(f"payment_over_service_workers_{n} >= 0.5 (y >= 0.5 x a)",
              ratios.get(f"payment_over_service_workers_{n}"), lambda v: v >= 0.5)
    y = scenarios.get("y_payments")
    if y and "by_workers" in y:
        statements = max((level.get("queries_per_transfer") or 0) for level in y["by_workers"].values())
        # SqlClock counts the statements (a batch of the payment path is one); the transaction's
        # BEGIN travels in its first batch (core_banking/common/sqlbatch.py) and the COMMIT is a
        # round trip of its own.
        check("y round trips per payment (statements + COMMIT) <= 6", round(statements + 1, 2),
              lambda v: v <= 6)
    check(f"h_over_y_workers_{http_workers} >= 0.5", ratios.get(f"h_over_y_workers_{http_workers}"),
          lambda v: v >= 0.5)
    h = scenarios.get("h_http_payments")
    if h and h.get("latency_ms"):
        check("h p99 < 100 ms", h["latency_ms"]["p99"], lambda v: v < 100)
    reads = scenarios.get("e_reads")
    if reads and "load" in reads:
        check("account_balance p50 < 2 ms", reads["account_balance_ms"]["p50"], lambda v: v < 2)
        check("balance_as_of p50 < 5 ms", reads["balance_as_of_ms"]["p50"], lambda v: v < 5)
        check("postings in table >= 1,000,000", reads["postings_in_table"], lambda v: v >= 1_000_000)
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.check not in (None, "-"):  # check a results file, no run
        from bench import check

        return check.main(args.check, args.floors)
    url = util.bench_database_url(args.database_url)
    started = dt.datetime.now(dt.UTC)
    util.recreate_database(url)
    util.setup_django(url)  # sets DATABASE_URL to the bench database before django.setup()

    from django.conf import settings
    from django.core.management import call_command

    from bench import ledger, rawsql

    ledger.log(f"migrating {url}")
    with util.Timer() as t_migrate:
        call_command("migrate", interactive=False, verbosity=0)

    doc: dict = {
        "benchmark": "ledger",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": util.machine_info(url),
        "parameters": {k: v for k, v in vars(args).items() if k != "database_url"},
        "setup": {"migrate_seconds": round(t_migrate.seconds, 2), "ledger_chains": settings.LEDGER_CHAINS},
        "scenarios": {},
        "ratios": {},
    }
    scenarios = doc["scenarios"]
    selected = set(args.only)

    fixture = None
    if selected & {"a", "b", "c", "d", "d1", "g", "p", "u"}:
        ledger.log(f"opening and funding {args.accounts} constrained accounts")
        with util.Timer() as t_fixture:
            fixture = ledger.create_fixture(args.accounts)
        doc["setup"]["fixture_seconds"] = round(t_fixture.seconds, 2)
        doc["setup"]["constrained_accounts"] = args.accounts
        doc["setup"]["history_transfers"] = ledger.HISTORY

    if "d1" in selected:
        rawsql.create_d1_function(url)
    pgl_accounts = None
    if "g" in selected:
        from bench import pgl

        ledger.log(f"g: creating the pure-SQL ledger's tables and {args.accounts} accounts")
        pgl_accounts = pgl.create_fixture(url, args.accounts)

    def run(key: str, fn, *fn_args) -> None:
        """Run one scenario (or one worker level of it, merged into what is there); a failure is
        recorded in the JSON (and fails the run) instead of losing the other scenarios' figures."""
        if "error" in scenarios.get(key, {}):
            return
        try:
            merge(scenarios.setdefault(key, {}), fn(*fn_args))
        except Exception as error:  # noqa: BLE001 - reported, and the exit status says so
            ledger.log(f"{key} FAILED:\n{traceback.format_exc()}")
            scenarios[key] = {"error": f"{type(error).__name__}: {error}"}
            failures.append(key)

    failures: list[str] = []

    def fixture_for(key: str, what: str, fn, *fn_args):
        """A scenario's own fixture (set-up, not measured); a failure fails that scenario only."""
        ledger.log(what)
        try:
            return fn(*fn_args)
        except Exception as error:  # noqa: BLE001 - reported, and the exit status says so
            ledger.log(f"{key} set-up FAILED:\n{traceback.format_exc()}")
            scenarios[key] = {"error": f"set-up: {type(error).__name__}: {error}"}
            failures.append(key)
            return None

    if "y" in selected or "yr" in selected:
        from bench import payments

    def payment_fixtures(n: int) -> tuple:
        """y's and yr's customers for the level of ``n`` workers: each level has its own, so that the
        usage counters an earlier level filled (the RETAIL profile allows 50 payments per account and
        business date) never refuse a later level's payments."""
        accounts = refusals = None
        if "y" in selected:
            accounts = fixture_for("y_payments", f"y: onboarding and funding the payment customers of {n} worker(s)",
                                   payments.create_fixture, payments.ACCOUNTS, f"y{n}")
        if "yr" in selected:
            refusals = fixture_for("yr_payment_refusals",
                                   f"yr: onboarding and funding the refusal scenario's customers of {n} worker(s)",
                                   payments.create_refusal_fixture, f"yr{n}")
        return accounts, refusals

    # The single-transfer levels (a, b, d, d1, g) and the payment levels (y, yr) run interleaved, one
    # worker count at a time, so that the levels whose ratios are reported run close together in
    # time (and under the same background load).
    pg_options = settings.DATABASES["default"].get("OPTIONS", {}).get("options", "")
    for n in args.workers:
        if "a" in selected:
            run("a_single_transfer", ledger.scenario_single, url, fixture, [n], args.seconds)
        if "b" in selected:
            run("b_hot_fee_account", ledger.scenario_hot_account, url, fixture, [n], args.seconds)
        if "d" in selected:
            run("d_raw_sql", rawsql.scenario_raw, url, pg_options, fixture.accounts, settings.LEDGER_CHAINS,
                [n], args.seconds, ledger.log, ledger.before_workers)
        if "d1" in selected:
            run("d1_raw_sql_one_round_trip", rawsql.scenario_raw_one, url, pg_options, fixture.accounts,
                settings.LEDGER_CHAINS, [n], args.seconds, ledger.log, ledger.before_workers)
        if "g" in selected:
            run("g_pure_sql_ledger", pgl.scenario_pgl, url, pg_options, pgl_accounts, [n], args.seconds,
                ledger.log, ledger.before_workers)
        payment_accounts, refusal_fixture = payment_fixtures(n)
        if payment_accounts is not None:
            run("y_payments", payments.scenario_payments, url, payment_accounts, [n], args.seconds)
        if refusal_fixture is not None:
            run("yr_payment_refusals", payments.scenario_refusals, url, refusal_fixture, [n], args.seconds)
    if "g" in selected and "error" not in scenarios.get("g_pure_sql_ledger", {}):
        scenarios["g_pure_sql_ledger"]["verify"] = pgl.verify(url)
        if not scenarios["g_pure_sql_ledger"]["verify"]["ok"]:
            failures.append("g_pure_sql_ledger")
    if "c" in selected:
        run("c_bulk", ledger.scenario_bulk, fixture, args.bulk_sizes, args.seconds)
    if "p" in selected:
        run("p_profile", ledger.scenario_profile, fixture, args.seconds)
    if "u" in selected:
        from bench import cpu, payments

        cpu_accounts = fixture_for("u_cpu_per_operation", "u: onboarding and funding the CPU scenario's customers",
                                   payments.create_fixture, payments.ACCOUNTS, "u")
        if cpu_accounts is not None:
            run("u_cpu_per_operation", cpu.scenario_cpu, fixture, cpu_accounts, args.seconds)
    if "h" in selected:
        from bench import httpapi, payments

        http_fixture = fixture_for("h_http_payments",
                                   "h: onboarding and funding the HTTP scenario's customers, issuing an API token",
                                   lambda: (payments.create_fixture(tag="h"), httpapi.create_client_token()))
        if http_fixture is not None:
            run("h_http_payments", httpapi.scenario_http, url, *http_fixture, args.seconds, args.http_workers,
                args.http_clients, args.http_worker_class, args.http_threads)
    if "e" in selected:
        run("e_reads", ledger.scenario_reads, args.postings, args.read_accounts, args.load_batch, args.read_samples)

    doc["ratios"] = compute_ratios(scenarios, args.workers, args.http_workers)
    doc["targets"] = targets(scenarios, doc["ratios"], args.workers, args.http_workers)

    if not args.no_verify:
        doc["verify_ledger"] = ledger.verify()
    check_result = None
    if args.check == "-":
        from bench import check

        check_result = check.check(doc, check.load_floors(args.floors))
        doc["check"] = check_result
    doc["machine"]["load_average_at_end"] = util.load_average()
    doc["failed_scenarios"] = failures
    doc["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    doc["total_seconds"] = round((dt.datetime.now(dt.UTC) - started).total_seconds(), 1)
    path = util.write_results(doc)
    json.dump(doc, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    ledger.log(f"results written to {path}")
    if failures:
        ledger.log(f"FAILED scenarios: {', '.join(failures)}")
    if check_result is not None:
        from bench import check

        sys.stderr.write(check.report(check_result) + "\n")
    if not args.no_verify and not doc["verify_ledger"]["ok"]:
        ledger.log("verify_ledger FAILED")
        return 1
    if check_result is not None and not check_result["ok"]:
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
