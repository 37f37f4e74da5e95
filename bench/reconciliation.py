"""``python -m bench.reconciliation``: the statement-matching benchmark. One JSON document on
stdout (also ``bench/results/reconciliation-<timestamp>.json``); progress on stderr.

Setup (not timed), in a freshly created bench database (dropped and recreated; its name must
contain "bench"):

* a nostro mirror ledger account (asset, EUR) and a contra account; ``--lines`` (default
  100,000) ledger postings, posted through the ledger's real bulk path (``entries_post_bulk``,
  batches of ``--batch`` entries), each entry one posting on the nostro account;
* one external account mapped to the nostro account, one statement, and ``--lines`` statement
  lines written with ``INSERT .. SELECT generate_series``. The mix (of N = ``--lines``):

  - 96 % one line <-> one posting, amount ``f(i)`` distinct per i, value dates over 60 days;
    60 % of them carry the entry's ``external_ref`` and a value date 10 days off (outside the
    window: only rule ``reference`` can match them), 40 % carry no reference and a value date
    -2..+2 days off (rule ``amount_date``, default 2-day window);
  - 1 % batch settlements: one line = the sum of 4 postings sharing its reference (rule ``sum``),
    which is where the other 4 % of the postings go;
  - 3 % bank-only lines (charges) with no ledger counterpart: they stay unmatched.

  So N lines against N postings; 97 % of the lines and 100 % of the postings are matchable.

Timed: ``reconciliation.matching.automatch(account)`` — one call, set-based SQL, every rule — from
call to commit. Target: 100,000 lines against 100,000 postings in <= 10 s. Also reported: the
load average before and after (the machine is shared), and a second run (nothing left to match:
what the EOD step costs on a reconciled account).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from decimal import Decimal

from bench import util

BASE_DATE = dt.date(2024, 1, 1)


def log(message: str) -> None:
    print(f"[bench.reconciliation {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.reconciliation", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lines", type=int, default=100_000, help="statement lines (default 100,000)")
    p.add_argument("--batch", type=int, default=5000, help="entries per entries_post_bulk call (default 5000)")
    p.add_argument("--database-url", default=None, help="bench database (dropped and recreated!)")
    return p.parse_args(argv)


def amount(i: int) -> Decimal:
    """Distinct per i, so that amount-and-date candidates are unique (as ambiguity is not what
    this bench measures; the tests cover it)."""
    return Decimal(i + 1) + Decimal(i % 97) / 100


def _mix(n: int) -> tuple[int, int, int]:
    batches = n // 100
    noise = 3 * n // 100
    return n - batches - noise, batches, noise  # one-to-one lines, batch lines, bank-only lines


def _setup(n_lines: int, batch: int) -> dict:
    from django.db import connection, transaction

    from core_banking.ledger import services as ledger
    from core_banking.ledger.models import AccountType
    from reconciliation.models import ExternalAccount, Statement, StatementFile

    single, batches, noise = _mix(n_lines)
    ledger.business_date_open()
    nostro = ledger.ledger_account_create(code="1200-EUR", name="Nostro EUR mirror", type=AccountType.ASSET,
                                          currency="EUR", shard_count=1)
    contra = ledger.ledger_account_create(code="2200-EUR", name="Settlement EUR", type=AccountType.LIABILITY,
                                          currency="EUR", shard_count=16)

    def entry(i: int, ref: str, value_date: dt.date) -> dict:
        a = str(amount(i))
        return {"postings": [{"account_id": nostro.pk, "amount": a}, {"account_id": contra.pk, "amount": "-" + a}],
                "external_ref": ref, "value_date": value_date}

    specs = [entry(i, f"E2E-{i}" if i % 10 < 6 else "", BASE_DATE + dt.timedelta(days=i % 60))
             for i in range(single)]
    specs += [entry(single + 4 * k + j, f"BATCH-{k}", BASE_DATE + dt.timedelta(days=k % 60))
              for k in range(batches) for j in range(4)]
    started = time.monotonic()
    for offset in range(0, len(specs), batch):
        ledger.entries_post_bulk(entries=specs[offset:offset + batch], idempotency_key=f"bench-rec-{offset}")
        if offset and offset % 20_000 == 0:
            log(f"  posted {offset:,}")
    posting_seconds = time.monotonic() - started
    account = ExternalAccount.objects.create(name="Bench nostro", bank_bic="BENCHNL2A", account_identifier="NL00BNCH",
                                             currency_id="EUR", ledger_account=nostro)
    record = StatementFile.objects.create(external_account=account, format="csv", file="bench", sha256="0" * 64)
    statement = Statement.objects.create(
        file=record, external_account=account, format="csv", period_from=BASE_DATE,
        period_to=BASE_DATE + dt.timedelta(days=70), currency="EUR", opening_balance=0, closing_balance=0,
        computed_closing=0, balanced=True, line_count=n_lines)
    columns = """INSERT INTO reconciliation_statementline (statement_id, external_account_id, position, booking_date,
                 value_date, amount, currency, reference, bank_reference, counterparty_name, counterparty_iban,
                 description, details, status)"""
    params = {"statement": statement.pk, "account": account.pk, "base": BASE_DATE, "single": single,
              "batches": batches, "noise": noise}
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cur:
        # amount(i) = i + 1 + (i % 97) / 100, as in Python.
        cur.execute(columns + """
            SELECT %(statement)s, %(account)s, i + 1, %(base)s::date + (i %% 60),
                   %(base)s::date + (i %% 60) + CASE WHEN i %% 10 < 6 THEN 10 ELSE (i %% 5) - 2 END,
                   (i + 1) + (i %% 97) / 100.0, 'EUR',
                   CASE WHEN i %% 10 < 6 THEN 'E2E-' || i ELSE '' END, 'B' || i, '', '', '', '{}', 'unmatched'
            FROM generate_series(0, %(single)s - 1) AS i""", params)
        cur.execute(columns + """
            SELECT %(statement)s, %(account)s, %(single)s + k + 1, %(base)s::date + (k %% 60),
                   %(base)s::date + (k %% 60),
                   (SELECT sum((i + 1) + (i %% 97) / 100.0)
                    FROM generate_series(%(single)s + 4 * k, %(single)s + 4 * k + 3) AS i),
                   'EUR', 'BATCH-' || k, 'BB' || k, '', '', 'batch settlement', '{}', 'unmatched'
            FROM generate_series(0, %(batches)s - 1) AS k""", params)
        cur.execute(columns + """
            SELECT %(statement)s, %(account)s, %(single)s + %(batches)s + j + 1, %(base)s::date + (j %% 60),
                   %(base)s::date + (j %% 60), -((j %% 50) + 1) / 100.0, 'EUR', '', 'FEE' || j, 'Bank', '',
                   'charges', '{}', 'unmatched'
            FROM generate_series(0, %(noise)s - 1) AS j""", params)
        cur.execute("ANALYZE")
    line_seconds = time.monotonic() - started
    log(f"{len(specs):,} postings in {posting_seconds:.1f}s (bulk path), {n_lines:,} lines in {line_seconds:.1f}s")
    return {"account": account.pk, "postings": len(specs), "lines": n_lines,
            "mix": {"one_to_one": single, "batch_lines": batches, "batch_postings": 4 * batches,
                    "bank_only_lines": noise},
            "expected_lines_matched": single + batches, "posting_seconds": round(posting_seconds, 1),
            "line_seconds": round(line_seconds, 1)}


def main(argv=None) -> int:
    args = parse_args(argv)
    url = util.bench_database_url(args.database_url)
    log(f"recreating {url}")
    util.recreate_database(url)
    util.setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    doc = {"benchmark": "reconciliation", "machine": util.machine_info(url),
           "target": {"lines": 100_000, "postings": 100_000, "max_seconds": 10}}
    doc["setup"] = _setup(args.lines, args.batch)
    from reconciliation import matching
    from reconciliation.models import Match, StatementLine

    log("matching")
    doc["load_average_before"] = util.load_average()
    started = time.monotonic()
    run = matching.automatch(doc["setup"]["account"])
    seconds = time.monotonic() - started
    matched = StatementLine.objects.filter(status="matched").count()
    doc["result"] = {"seconds": round(seconds, 2), "lines_per_second": round(args.lines / seconds),
                     "run": run.as_dict(), "lines_matched": matched,
                     "matches": Match.objects.filter(state="matched").count()}
    # Second run: nothing left to match (what the EOD step costs on a reconciled account).
    started = time.monotonic()
    matching.automatch(doc["setup"]["account"])
    doc["result"]["rerun_seconds"] = round(time.monotonic() - started, 2)
    doc["load_average_after"] = util.load_average()
    expected = doc["setup"]["expected_lines_matched"]
    doc["result"]["all_matchable_matched"] = matched == expected
    doc["target"]["met"] = seconds <= 10 and args.lines >= 100_000 and matched == expected
    util.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = util.RESULTS_DIR / f"reconciliation-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    print(json.dumps(doc, indent=2, default=str))
    log(f"{seconds:.2f}s for {args.lines:,} lines; written to {path}")
    return 0 if matched == expected else 1


if __name__ == "__main__":
    sys.exit(main())
