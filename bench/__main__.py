"""``python -m bench``: the ledger benchmark. One command, one JSON document on stdout (also written
to ``bench/results/ledger-<timestamp>.json``); progress goes to stderr. See bench/README.md.

Scenarios: a = single transfers, b = single transfers crediting a hot fee account (1 and 16 shards),
c = bulk path, d = raw-SQL floor, e = reads over a large ledger, p = profile of one worker (opt-in).
Every run starts from a freshly created, migrated, empty database and ends with ``verify_ledger``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import traceback

from bench import util

DEFAULT_SCENARIOS = "a,b,c,d,e"
ALL_SCENARIOS = set("abcdepy")


def parse_args(argv=None) -> argparse.Namespace:
    def int_list(text: str) -> list[int]:
        return [int(x) for x in text.split(",") if x.strip()]

    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=10, help="duration of each timed level (default 10)")
    p.add_argument("--postings", type=int, default=1_000_000,
                   help="postings to load for the read scenario e (default 1,000,000)")
    p.add_argument("--only", default=DEFAULT_SCENARIOS,
                   help=f"comma-separated scenarios among a,b,c,d,e,p,y (default {DEFAULT_SCENARIOS}; "
                        "y: the payment path with tariffs and limits)")
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
    args = p.parse_args(argv)
    args.only = sorted({s.strip() for s in args.only.split(",") if s.strip()})
    unknown = set(args.only) - ALL_SCENARIOS
    if unknown:
        p.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
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


def targets(scenarios: dict, ratios: dict, workers: int) -> dict:
    """The design's performance targets, each with the measured value and whether it is met."""
    out = {}

    def check(name: str, value, ok) -> None:
        if value is not None:
            out[name] = {"value": value, "met": bool(ok(value))}

    check(f"b_over_a_fee_shards_16_workers_{workers} >= 0.8",
          ratios.get(f"b_over_a_fee_shards_16_workers_{workers}"), lambda v: v >= 0.8)
    check("bulk transfers/s >= 10000", ratios.get("bulk_best_transfers_per_second"), lambda v: v >= 10_000)
    reads = scenarios.get("e_reads")
    if reads and "load" in reads:
        check("account_balance p50 < 2 ms", reads["account_balance_ms"]["p50"], lambda v: v < 2)
        check("balance_as_of p50 < 5 ms", reads["balance_as_of_ms"]["p50"], lambda v: v < 5)
        check("postings in table >= 1,000,000", reads["postings_in_table"], lambda v: v >= 1_000_000)
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
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
    scenarios, ratios = doc["scenarios"], doc["ratios"]
    selected = set(args.only)

    fixture = None
    if selected & set("abcdp"):
        ledger.log(f"opening and funding {args.accounts} constrained accounts")
        with util.Timer() as t_fixture:
            fixture = ledger.create_fixture(args.accounts)
        doc["setup"]["fixture_seconds"] = round(t_fixture.seconds, 2)
        doc["setup"]["constrained_accounts"] = args.accounts
        doc["setup"]["history_transfers"] = ledger.HISTORY

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
    # a, b and d run interleaved, one worker count at a time, so that the levels whose ratios are
    # reported run close together in time (and under the same background load).
    pg_options = settings.DATABASES["default"].get("OPTIONS", {}).get("options", "")
    for n in args.workers:
        if "a" in selected:
            run("a_single_transfer", ledger.scenario_single, url, fixture, [n], args.seconds)
        if "b" in selected:
            run("b_hot_fee_account", ledger.scenario_hot_account, url, fixture, [n], args.seconds)
        if "d" in selected:
            run("d_raw_sql", rawsql.scenario_raw, url, pg_options, fixture.accounts, settings.LEDGER_CHAINS,
                [n], args.seconds, ledger.log, ledger.before_workers)
    if "c" in selected:
        run("c_bulk", ledger.scenario_bulk, fixture, args.bulk_sizes, args.seconds)
    if "p" in selected:
        run("p_profile", ledger.scenario_profile, fixture, args.seconds)
    if "y" in selected:
        from bench import payments

        ledger.log("y: onboarding and funding the payment customers")
        payment_accounts = payments.create_fixture()
        run("y_payments", payments.scenario_payments, url, payment_accounts, args.workers, args.seconds)
    if "e" in selected:
        run("e_reads", ledger.scenario_reads, args.postings, args.read_accounts, args.load_batch, args.read_samples)

    def rate(scenario: dict | None, workers: int) -> float | None:
        level = (scenario or {}).get("by_workers", {}).get(str(workers))
        return level["transfers_per_second"] if level else None

    a = scenarios.get("a_single_transfer")
    b = scenarios.get("b_hot_fee_account", {})
    d = scenarios.get("d_raw_sql")
    for n in args.workers:
        for shards in (1, 16):
            value = ratio(rate(b.get(f"fee_account_shards_{shards}"), n), rate(a, n))
            if value is not None:
                ratios[f"b_over_a_fee_shards_{shards}_workers_{n}"] = value
        value = ratio(rate(a, n), rate(d, n))
        if value is not None:
            ratios[f"service_over_raw_workers_{n}"] = value
    c = scenarios.get("c_bulk")
    if c and "by_batch_size" in c:
        ratios["bulk_best_transfers_per_second"] = max(
            level["transfers_per_second"] for level in c["by_batch_size"].values()
        )

    doc["targets"] = targets(scenarios, ratios, max(args.workers))

    if not args.no_verify:
        doc["verify_ledger"] = ledger.verify()
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
    if not args.no_verify and not doc["verify_ledger"]["ok"]:
        ledger.log("verify_ledger FAILED")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
