"""The outbox's cost on the payment path, and webhook delivery throughput.

    python -m bench.events --database-url postgresql://postgres@127.0.0.1:5432/bench_events

Recreates and migrates the bench database and makes funded customers (``bench.payments``'
fixture: tariffs included; the limits check is left out, the bench pays more in a day than the
retail limits allow). Then:

1. ``--payments`` internal payments through ``payment_create`` (one process), alternating between
   the outbox on (two events per payment, one INSERT) and off (``emit_many`` replaced by a no-op for
   that payment): payments/s and p50/p95 latency of each, and the median difference.
2. A webhook subscription to a receiver on loopback (``http.server``, answering 200) and relay
   passes until every event is delivered: events delivered per second, with the relay's fan-out,
   claims and signed POSTs (one relay; the HTTP round trip dominates).

Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench import util


def _receiver() -> tuple[ThreadingHTTPServer, list[int]]:
    received: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            received.append(1)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.events")
    parser.add_argument("--database-url")
    parser.add_argument("--payments", type=int, default=1000)
    args = parser.parse_args(argv)
    url = util.bench_database_url(args.database_url)
    util.recreate_database(url)
    util.setup_django(url)

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import override_settings

    from backoffice.api_clients.services import api_client_create
    from backoffice.webhooks import relay
    from backoffice.webhooks.models import Delivery, Subscription
    from bench.payments import create_fixture
    from core_banking.common.maker_checker import system_execution
    from core_banking.events.models import Event
    from core_banking.payments import events as payment_events
    from core_banking.payments import services as payments

    call_command("migrate", interactive=False, verbosity=0)
    with system_execution():
        account_ids = create_fixture(4)
    checks = [c for c in settings.CORE_BANKING_PAYMENT_CHECKS if "limits" not in c]
    original = payment_events.emit_many  # the payment's own binding of the outbox writer

    def pay(i: int) -> float:
        start = time.perf_counter()
        payments.payment_create(kind="internal_transfer", amount="1.00", currency="EUR",
                                debtor_account_id=account_ids[i % 2], creditor_account_id=account_ids[2 + i % 2],
                                idempotency_key=f"bench-events-{i}")
        return time.perf_counter() - start

    on, off = [], []
    with override_settings(CORE_BANKING_PAYMENT_CHECKS=checks):
        for i in range(20):
            pay(-1 - i)  # warm-up
        for i in range(args.payments):
            if i % 2:
                payment_events.emit_many = lambda *a, **k: []
                try:
                    off.append(pay(i))
                finally:
                    payment_events.emit_many = original
            else:
                on.append(pay(i))
    outbox = Event.objects.count()

    server, received = _receiver()
    owner = get_user_model().objects.create_user("bench-owner", is_staff=True)
    with system_execution():
        client = api_client_create(name="bench-hooks", role="operations", scopes=["events"], owner=owner)
    client.kind = "bank_channel"
    client.save(update_fields=["kind"])
    Subscription.objects.create(client=client, url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    start = time.perf_counter()
    passes = 0
    while True:
        passes += 1
        counts = relay.relay_pass(budget_seconds=60, batch=50)
        if counts["fanned_out"] == 0 and counts["delivered"] == 0:
            break
    seconds = time.perf_counter() - start
    server.shutdown()
    delivered = Delivery.objects.filter(status=Delivery.Status.DELIVERED).count()

    print(json.dumps({
        "payments_each_side": len(on),
        "payment_with_outbox_ms": util.latency_summary(on),
        "payment_without_outbox_ms": util.latency_summary(off),
        "payments_per_second_with_outbox": round(len(on) / sum(on), 1),
        "payments_per_second_without_outbox": round(len(off) / sum(off), 1),
        "outbox_added_median_ms": round((statistics.median(on) - statistics.median(off)) * 1000, 3),
        "events_in_outbox": outbox,
        "webhook_events_delivered": delivered,
        "webhook_posts_received": len(received),
        "webhook_seconds": round(seconds, 2),
        "webhook_events_per_second": round(delivered / seconds, 1) if seconds else None,
        "relay_passes": passes,
        "machine": util.machine_info(url),
    }, indent=2))


if __name__ == "__main__":
    main()
