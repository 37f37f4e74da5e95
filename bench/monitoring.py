"""Transaction monitoring's added latency per payment, over a customer with a long history.

    python -m bench.monitoring --database-url postgresql://postgres@127.0.0.1:5432/bench_mon

Recreates and migrates the bench database, makes two funded customers (``bench.payments``'
fixture: tariff and limits included), seeds the default monitoring rules, and gives the first
customer ``--history`` earlier payments (default 50,000: payment rows, their monitored flows and
day aggregates, inserted set-based, spread over three years before the window, to 2,000
counterparties). Then ``--payments`` outgoing payments of that customer through
``payment_create`` alternate between the checks without and with monitoring
(``CORE_BANKING_PAYMENT_CHECKS``), and the monitoring check's own time is measured around
``MONITORING.check``. Prints JSON: p50/p95 of both, the difference of the medians, and the
check's own time (target: median < 5 ms).

The seeded velocity rule (30 outgoing payments in 24 hours) is given a version 2 with a limit
of 100,000 first, so that the bench's own burst of payments does not alert on every payment
(alerts are measured separately: ``alerting``, the large-amount rule firing on each payment).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import time

from bench import util


def ibans(count: int = 2000) -> list[str]:
    from schwifty import IBAN

    return [str(IBAN.generate("DE", bank_code="37040044", account_code=str(100000 + i))) for i in range(count)]


def _history(customer_id: int, account_id: int, count: int, counterparties: list[str]) -> None:
    from django.db import connection

    from compliance.monitoring.models import CustomerDay, MonitoredFlow
    from core_banking.payments.models import Payment

    table = Payment._meta.db_table
    with connection.cursor() as cursor:
        template = Payment.objects.filter(debtor_account_id=account_id).order_by("id").first().pk
        columns = [f.column for f in Payment._meta.concrete_fields if f.column != "id"]
        override = {
            "reference": "'H' || lpad(g::text, 10, '0')",
            # Payment rows only as the flows' subjects (no journal entries): marked rejected, so
            # that no ledger invariant is asked of them; their flows count as live history.
            "entry_id": "NULL", "hold_id": "NULL", "status": "'rejected'",
            "idempotency_key": "'hist-' || g",
            "created_at": "now() - interval '3 days' - (g * interval '30 minutes')",
            "business_date": "(current_date - 3 - (g / 48))",
            "amount": "(10 + (g %% 5000))::numeric",
            "counterparty_iban": "(%s::text[])[1 + g %% 2000]",
        }
        select = ", ".join(override.get(c, c) for c in columns)
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM {table}, "
                       f"generate_series(1, %s) g WHERE id = %s", [counterparties, count, template])
        flows = MonitoredFlow._meta.db_table
        cursor.execute(
            f"INSERT INTO {flows} (payment_id, customer_id, account_id, direction, is_cash, amount, currency, "
            f"amount_base, counterparty_iban, counterparty_country, business_date, at) "
            f"SELECT id, %s, %s, 'out', false, amount, currency_id, amount, counterparty_iban, 'DE', business_date, "
            f"created_at FROM {table} WHERE reference LIKE 'H%%'", [customer_id, account_id])
        days = CustomerDay._meta.db_table
        cursor.execute(
            f"INSERT INTO {days} (customer_id, business_date, direction, is_cash, count, amount_base) "
            f"SELECT customer_id, business_date, direction, is_cash, count(*), sum(amount_base) FROM {flows} "
            f"WHERE customer_id = %s GROUP BY 1, 2, 3, 4", [customer_id])
        cursor.execute("ANALYZE")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.monitoring")
    parser.add_argument("--database-url")
    parser.add_argument("--history", type=int, default=50_000)
    parser.add_argument("--payments", type=int, default=400)
    args = parser.parse_args(argv)
    url = util.bench_database_url(args.database_url)
    util.recreate_database(url)
    util.setup_django(url)

    from django.conf import settings
    from django.core.management import call_command
    from django.test import override_settings

    from bench.payments import create_fixture
    from compliance.monitoring import checks, services
    from compliance.monitoring.models import MonitoringRule
    from compliance.monitoring.seed import seed
    from core_banking.accounts.models import Account
    from core_banking.common.maker_checker import system_execution
    from core_banking.payments import services as payments

    call_command("migrate", interactive=False, verbosity=0)
    with system_execution():  # set-up: the bench's own fixture, no approvals
        account_ids = create_fixture(2)
    seed(stdout=io.StringIO())
    with system_execution():
        velocity = MonitoringRule.objects.get(code="TM-VELOCITY-24H")
        services.version_create(rule_id=velocity.pk, reason="bench", parameters={
            "metric": "count", "limit": 100000, "window_hours": 24, "direction": "out"}, score=35)
    account = Account.objects.get(pk=account_ids[0])
    counterparties = ibans()
    # The limits check is left out of both sides: the bench pays far more in a day than the RETAIL
    # limits allow. Whatever else is configured stays on both sides.
    base_checks = [c for c in settings.CORE_BANKING_PAYMENT_CHECKS if "limits" not in c and "monitoring" not in c]
    with_checks = [*base_checks, "compliance.monitoring.checks.MONITORING"]

    def pay(i: int, amount: str) -> float:
        start = time.perf_counter()
        payments.payment_create(kind="outgoing", amount=amount, currency="EUR", debtor_account_id=account.pk,
                                counterparty_iban=counterparties[i % 2000], counterparty_name="Bench",
                                idempotency_key=f"bench-{i}")
        return time.perf_counter() - start

    with override_settings(CORE_BANKING_PAYMENT_CHECKS=base_checks):
        pay(0, "1.00")  # the history's template row
    t0 = time.perf_counter()
    _history(account.customer_id, account.pk, args.history, counterparties)
    history_seconds = time.perf_counter() - t0

    check_times: list[float] = []
    original = checks.monitor

    def timed(intent):
        start = time.perf_counter()
        try:
            return original(intent)
        finally:
            check_times.append(time.perf_counter() - start)

    checks.monitor = timed
    without, with_monitoring = [], []
    rng = random.Random(7)
    for i in range(1, args.payments + 1):
        amount = f"{rng.randint(1, 900)}.00"
        if i % 2:
            with override_settings(CORE_BANKING_PAYMENT_CHECKS=base_checks):
                without.append(pay(i, amount))
        else:
            with override_settings(CORE_BANKING_PAYMENT_CHECKS=with_checks):
                with_monitoring.append(pay(i, amount))
    quiet = list(check_times)
    check_times.clear()
    with override_settings(CORE_BANKING_PAYMENT_CHECKS=with_checks):
        for i in range(args.payments + 1, args.payments + 1 + 30):
            pay(i, "20000.00")  # TM-LARGE fires: one alert per payment
    alerting = list(check_times)
    checks.monitor = original

    summary_without = util.latency_summary(without)
    summary_with = util.latency_summary(with_monitoring)
    print(json.dumps({
        "history_payments": args.history, "history_insert_seconds": round(history_seconds, 2),
        "rules_in_force": MonitoringRule.objects.filter(is_active=True).count(),
        "payment_without_monitoring_ms": summary_without,
        "payment_with_monitoring_ms": summary_with,
        "added_median_ms": round((statistics.median(with_monitoring) - statistics.median(without)) * 1000, 3),
        "added_p95_ms": round(summary_with["p95"] - summary_without["p95"], 3),
        "check_only_ms": util.latency_summary(quiet),
        "check_only_alerting_ms": util.latency_summary(alerting),
        "target_median_ms": 5,
        "machine": util.machine_info(url),
    }, indent=2))


if __name__ == "__main__":
    main()
