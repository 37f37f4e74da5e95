"""Webhooks (issue 21, "Events out"): signed deliveries to a real HTTP server on loopback,
retries with backoff, dead letters and redelivery, a relay killed mid-delivery, the order per
subject under four concurrent relays, and client isolation."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.utils import timezone

from backoffice.webhooks import relay, signing
from backoffice.webhooks.models import Delivery, Subscription
from core_banking.customers.models import Customer
from core_banking.events.services import emit
from core_banking.payments import services as payments
from tests import banking
from tests.core_banking.ledger.interfaces import staff_user, token_api

pytestmark = pytest.mark.django_db(transaction=True)


class Receiver:
    """A webhook receiver on 127.0.0.1 that checks signatures, deduplicates by Webhook-Id and
    answers with the status codes it is told to (then 200)."""

    def __init__(self, secret_of):
        self.secret_of = secret_of
        self.received: list[dict] = []
        self.seen: set[str] = set()
        self.duplicates = 0
        self.bad_signatures = 0
        self.script: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k: self.headers[k] for k in ("Webhook-Id", "Webhook-Timestamp", "Webhook-Signature")}
                with receiver.lock:
                    code = receiver.script.pop(0) if receiver.script else 200
                    if not signing.verify(receiver.secret_of(), headers, body):
                        receiver.bad_signatures += 1
                        code = 401
                    elif code == 200:
                        if headers["Webhook-Id"] in receiver.seen:
                            receiver.duplicates += 1
                        else:
                            receiver.seen.add(headers["Webhook-Id"])
                            receiver.received.append(json.loads(body))
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def world(bank, eur_product, settings):
    settings.WEBHOOKS_BACKOFF_SECONDS = 0
    api = token_api(role="operations", scopes=["events"])
    holder = {}
    receiver = Receiver(lambda: holder["secret"])
    subscription = Subscription.objects.create(client=api.api_client, url=receiver.url)
    holder["secret"] = subscription.secret
    a, b = banking.account(banking.customer(), eur_product), banking.account(banking.customer(), eur_product)
    banking.fund(bank, a, "1000.00")
    yield receiver, subscription, a, b
    receiver.close()


def pay(a, b, key, amount="1.00"):
    return payments.payment_create(kind="internal_transfer", amount=amount, currency="EUR", debtor_account_id=a.pk,
                                   creditor_account_id=b.pk, idempotency_key=key)[0]


def test_events_arrive_signed_once_and_in_order(world):
    receiver, subscription, a, b = world
    p = pay(a, b, "one")
    counts = relay.relay_pass(budget_seconds=30)
    assert counts["dead"] == 0 and receiver.bad_signatures == 0
    mine = [e for e in receiver.received if e["aggregate_type"] == "payment" and e["aggregate_id"] == str(p.pk)]
    assert [e["type"] for e in mine] == ["payment.created", "payment.posted"]
    assert mine[1]["payload"]["reference"] == p.reference and mine[1]["version"] == 1
    assert relay.relay_pass(budget_seconds=5)["delivered"] == 0  # nothing twice
    assert Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 0


def test_a_tampered_or_stale_signature_is_refused_by_the_check():
    body = b'{"id":1}'
    headers = signing.headers("whsec_x", 1, body, now=1_000_000)
    assert signing.verify("whsec_x", headers, body, now=1_000_100)
    assert not signing.verify("whsec_x", headers, body + b" ", now=1_000_100)
    assert not signing.verify("whsec_y", headers, body, now=1_000_100)
    assert not signing.verify("whsec_x", headers, body, now=1_000_000 + 301)  # replayed later


def test_failures_are_retried_with_backoff_then_dead_and_redelivered(world, settings):
    receiver, subscription, a, b = world
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    relay.relay_pass(budget_seconds=30)  # the account openings go out first
    p = pay(a, b, "retry")
    receiver.script = [500, 503, 500]  # three failures: dead at the third attempt
    relay.fan_out()
    first = Delivery.objects.filter(event__aggregate_id=str(p.pk), event__type="payment.created").get()
    assert relay.deliver(relay.claim()[0]) == Delivery.Status.PENDING
    first.refresh_from_db()
    assert first.attempts == 1 and first.last_status_code == 500 and first.last_error == "HTTP 500"
    # The later event of the same payment waits behind it: the order per subject.
    assert [c.delivery_id for c in relay.claim()] == [first.pk]
    Delivery.objects.filter(pk=first.pk).update(lease_until=None)
    relay.relay_pass(budget_seconds=30)
    first.refresh_from_db()
    assert first.status == Delivery.Status.DEAD and first.attempts == 3
    # Dead does not block the subject any more: payment.posted went on.
    assert [e["type"] for e in receiver.received if e["aggregate_id"] == str(p.pk)] == ["payment.posted"]
    assert relay.redeliver(delivery_ids=[first.pk], actor=staff_user("operations")) == 1
    relay.relay_pass(budget_seconds=30)
    first.refresh_from_db()
    assert first.status == Delivery.Status.DELIVERED and first.delivered_at is not None
    assert relay.backoff(1) == dt.timedelta(0)
    settings.WEBHOOKS_BACKOFF_SECONDS = 10
    assert [relay.backoff(n).total_seconds() for n in (1, 2, 3, 10, 30)] == [10, 20, 40, 3600, 3600]


def test_a_relay_killed_mid_delivery_is_overtaken_after_its_lease(world):
    receiver, subscription, a, b = world
    relay.relay_pass(budget_seconds=30)
    pay(a, b, "killed")
    relay.fan_out()
    stolen = relay.claim(limit=100)
    assert stolen and relay.claim(limit=100) == []  # nobody else takes them while leased
    # A dying relay may have posted already: the receiver got it, the relay never recorded it.
    for item in stolen:
        delivery = Delivery.objects.select_related("event", "subscription").get(pk=item.delivery_id)
        body = relay.event_body(delivery.event)
        relay.post(delivery.subscription.url, body, signing.headers(subscription.secret, delivery.event_id, body),
                   timeout=5)
    later = timezone.now() + dt.timedelta(seconds=120)
    again = relay.claim(limit=100, now=later)
    # The first event of each subject is taken over (the later ones wait behind it).
    assert again and {c.delivery_id for c in again} <= {c.delivery_id for c in stolen}
    for item in again:
        relay.deliver(item)
    relay.relay_pass(budget_seconds=30)
    assert Delivery.objects.exclude(status=Delivery.Status.DELIVERED).count() == 0
    assert receiver.duplicates >= 1  # posted twice, applied once
    # The dead relay comes back and records its own (stale) attempt: it changes nothing.
    late = stolen[0]
    before = Delivery.objects.values("status", "attempts", "delivered_at").get(pk=late.delivery_id)
    relay.deliver(late)
    assert Delivery.objects.values("status", "attempts", "delivered_at").get(pk=late.delivery_id) == before


def test_four_concurrent_relays_keep_the_order_of_each_subject(world):
    receiver, subscription, a, b = world
    relay.relay_pass(budget_seconds=30)
    receiver.received.clear()
    with transaction.atomic():
        for n in range(40):  # 8 subjects x 5 events, interleaved
            emit("eod.step_completed", aggregate_id=f"2030-01-0{n % 8 + 1}",
                 payload={"business_date": f"2030-01-0{n % 8 + 1}", "step": f"s{n // 8}", "label": "x", "rows": n})
    receiver.script = [500] * 6  # some failures make relays overtake each other
    errors = []

    def run():
        try:
            for _ in range(30):
                relay.relay_pass(budget_seconds=10, batch=3)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    steps: dict[str, list[str]] = {}
    for event in receiver.received:
        steps.setdefault(event["aggregate_id"], []).append(event["payload"]["step"])
    assert len(steps) == 8 and all(s == ["s0", "s1", "s2", "s3", "s4"] for s in steps.values()), steps


def test_a_partner_subscription_gets_only_its_own_customers_events(bank, eur_product):
    partner = token_api(role="api_client", scopes=["events"], kind="partner")
    holder = {}
    receiver = Receiver(lambda: holder["secret"])
    try:
        subscription = Subscription.objects.create(client=partner.api_client, url=receiver.url,
                                                   event_types=["payment.posted"])
        holder["secret"] = subscription.secret
        mine = banking.customer()
        Customer.objects.filter(pk=mine.pk).update(created_by=partner.api_client.user)
        a, b = banking.account(mine, eur_product), banking.account(banking.customer(), eur_product)
        c = banking.account(banking.customer(), eur_product)
        banking.fund(bank, a, "10.00")
        banking.fund(bank, b, "10.00")
        own, foreign = pay(a, b, "own"), pay(b, c, "foreign")
        relay.relay_pass(budget_seconds=30)
        got = receiver.received
    finally:
        receiver.close()
    assert [(e["type"], e["aggregate_id"]) for e in got] == [("payment.posted", str(own.pk))]
    assert str(foreign.pk) not in {e["aggregate_id"] for e in got}
