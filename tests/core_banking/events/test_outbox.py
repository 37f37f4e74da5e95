"""The transactional outbox (issue 21, "Events out"): an event exists exactly when its change
committed, in commit-safe order, and each reader sees only what it may."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from core_banking.customers.models import Customer
from core_banking.events import selectors
from core_banking.events.models import Event
from core_banking.events.services import emit
from core_banking.payments import services as payments
from tests import banking
from tests.core_banking.api_auth import assert_problem, client_api, staff_user, token_api


def payment(account_from, account_to, amount="10.00", key=None):
    return payments.payment_create(kind="internal_transfer", amount=amount, currency="EUR",
                                   debtor_account_id=account_from.pk, creditor_account_id=account_to.pk,
                                   idempotency_key=key or f"k-{account_from.pk}-{account_to.pk}-{amount}")[0]


@pytest.fixture
def pair(bank, ada, bram, eur_product):
    a, b = banking.account(ada, eur_product), banking.account(bram, eur_product)
    banking.fund(bank, a, "500.00")
    return a, b


@pytest.mark.django_db
def test_a_payment_writes_its_events_in_its_own_transaction(pair):
    a, b = pair
    before = Event.objects.count()
    p = payment(a, b)
    events = list(Event.objects.filter(aggregate_type="payment", aggregate_id=str(p.pk)).order_by("id"))
    assert [e.type for e in events] == ["payment.created", "payment.posted"]
    assert events[1].payload["amount"] == "10.00" and events[1].payload["currency"] == "EUR"
    assert events[1].payload["reference"] == p.reference and events[1].payload["entry_id"] == p.entry_id
    assert len({e.txid for e in events}) == 1 and events[0].txid is not None
    assert Event.objects.count() == before + 2


@pytest.mark.django_db
def test_account_opening_and_freezing_are_events(bank, ada, eur_product):
    account = banking.account(ada, eur_product)
    banking.account_transition(account_id=account.pk, action="freeze", reason="fraud suspected")
    types = list(Event.objects.filter(aggregate_type="account", aggregate_id=str(account.pk))
                 .order_by("id").values_list("type", "payload__status"))
    assert types == [("account.opened", "active"), ("account.status_changed", "frozen")]


@pytest.mark.django_db
def test_a_rolled_back_change_publishes_nothing(pair):
    a, b = pair
    before = Event.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        payment(a, b, key="rolled-back")
        assert Event.objects.count() == before + 2  # written, inside the transaction
        raise RuntimeError("the caller's transaction fails after the payment")
    assert Event.objects.count() == before


@pytest.mark.django_db
def test_emit_refuses_an_unknown_type_or_member_and_works_only_inside_a_transaction():
    with transaction.atomic():
        with pytest.raises(ValueError, match="catalogue"):
            emit("payment.teleported", aggregate_id=1, payload={})
        with pytest.raises(ValueError, match="carries no"):
            emit("eod.run_completed", aggregate_id="2026-01-01", payload={"colour": "blue"})


@pytest.mark.django_db
def test_the_outbox_is_append_only_in_the_database(pair):
    payment(*pair)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE events_event SET payload = '{}'")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM events_event")


def step_event(day: str, step: str) -> None:
    """An event of its own (no ledger: nothing the two transactions below could wait on)."""
    emit("eod.step_completed", aggregate_id=day, payload={"business_date": day, "step": step, "label": step,
                                                          "rows": 0})


@pytest.mark.django_db(transaction=True)
def test_the_feed_never_serves_an_event_behind_a_transaction_still_running():
    """Event ids are taken at INSERT: an event of a transaction that commits later has a lower
    id than one already committed. The feed holds back everything from transactions at or after
    the oldest one still running, so the slow event is served after the cursor, not lost."""
    with transaction.atomic():
        step_event("2030-01-01", "before")
    start = selectors.cursor_of(selectors.event_feed(after=selectors.Cursor(0, 0))[-1])
    inserted, release, done = threading.Event(), threading.Event(), threading.Event()

    def slow_transaction():
        try:
            with transaction.atomic():
                step_event("2030-01-02", "slow")
                inserted.set()
                assert release.wait(60), "the test never released the slow transaction"
        finally:
            connection.close()
            done.set()

    worker = threading.Thread(target=slow_transaction)
    worker.start()
    assert inserted.wait(30)
    with transaction.atomic():
        step_event("2030-01-03", "fast")  # commits while "slow" is still open
    assert Event.objects.filter(payload__step="fast").exists()
    seen = selectors.event_feed(after=start)
    assert seen == [], "served past a transaction still running"
    release.set()
    assert done.wait(30)
    worker.join()
    served = selectors.event_feed(after=start)
    # The slow event has the lower transaction id and is served first, then the fast one.
    assert [e.payload["step"] for e in served] == ["slow", "fast"]
    assert served[0].id < served[1].id and served[0].txid < served[1].txid
    assert selectors.event_feed(after=selectors.cursor_of(served[-1])) == []


@pytest.mark.both
@pytest.mark.django_db
def test_the_feed_api_reads_on_from_next_and_refuses_a_bad_cursor(pair):
    a, b = pair
    api = client_api(role="operations", scopes=["events"])
    first = api.get("/api/v1/events/", {"type": "payment.posted"})
    assert first.status_code == 200, first.content
    payment(a, b, amount="3.00", key="feed-1")
    # Events of the test's own (still open) transaction are not served: it is the oldest running.
    assert api.get("/api/v1/events/", {"after": first.json()["next"]}).json()["events"] == []
    assert_problem(api.get("/api/v1/events/", {"after": "12"}), status=400, code="invalid_cursor")
    assert_problem(api.get("/api/v1/events/", {"after": "１.２"}), status=400, code="invalid_cursor")
    assert_problem(api.get("/api/v1/events/", {"type": "payment.teleported"}), status=400, code="validation_error")
    assert_problem(client_api(role="operations", scopes=["ledger"]).get("/api/v1/events/"), status=403,
                   code="permission_denied")


@pytest.mark.backoffice
@pytest.mark.django_db(transaction=True)
def test_a_partner_reads_only_the_events_of_its_own_customers(bank, eur_product):
    partner = token_api(role="api_client", scopes=["events"], kind="partner")
    mine = banking.customer(first_name="Mine", last_name="Partner")
    Customer.objects.filter(pk=mine.pk).update(created_by=partner.api_client.user)
    theirs = banking.customer(first_name="Other", last_name="Bank")
    a, b = banking.account(mine, eur_product), banking.account(theirs, eur_product)
    c = banking.account(banking.customer(), eur_product)
    banking.fund(bank, a, "100.00")
    banking.fund(bank, b, "100.00")
    shared = payment(a, b, amount="5.00", key="shared")
    foreign = payment(b, c, amount="6.00", key="foreign")
    body = partner.get("/api/v1/events/", {"limit": 1000}).json()
    subjects = {(e["aggregate_type"], e["aggregate_id"]) for e in body["events"]}
    assert ("payment", str(shared.pk)) in subjects and ("account", str(a.pk)) in subjects
    assert ("payment", str(foreign.pk)) not in subjects and ("account", str(b.pk)) not in subjects
    staff = token_api(role="operations", scopes=["events"]).get("/api/v1/events/", {"limit": 1000}).json()
    assert ("payment", str(foreign.pk)) in {(e["aggregate_type"], e["aggregate_id"]) for e in staff["events"]}
    assert staff_user  # staff sessions read it too (tests/authz covers every role)
