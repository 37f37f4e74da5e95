"""A payment in three batches of statements (``services/create.py``): what it sends, and a
refusal that is known from the reads writes nothing. The engine's own seams (no fee policy, no
checks) make the plain shape; the back office's plug-ins add statements to the same batches."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core_banking.ledger.exceptions import InsufficientFunds
from core_banking.ledger.models import JournalEntry
from core_banking.payments import services
from core_banking.payments.models import Payment, PaymentStatusChange
from tests import banking

pytestmark = pytest.mark.django_db
WRITE = re.compile(r"\b(INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM)\b", re.IGNORECASE)


def statements(queries):
    """What was sent, less the savepoints of the test's own transaction."""
    return [q["sql"] for q in queries.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]


@pytest.fixture(autouse=True)
def engine_seams(settings):
    settings.CORE_BANKING_FEE_POLICY = "core_banking.payments.seams.no_fees"
    settings.CORE_BANKING_PAYMENT_CHECKS = []


@pytest.fixture
def accounts(bank, ada, bram, eur_product):
    payer, payee = banking.account(ada, eur_product), banking.account(bram, eur_product)
    banking.fund(bank, payer, "100.00")
    return payer, payee


def transfer(payer, payee, amount, key):
    return services.payment_create(kind="internal_transfer", amount=amount, currency="EUR",
                                   debtor_account_id=payer.pk, creditor_account_id=payee.pk, idempotency_key=key)


def test_a_posted_payment_is_three_batches(accounts):
    payer, payee = accounts
    transfer(payer, payee, "1.00", "warm-up")  # prepares the ledger's statements on this session

    with CaptureQueriesContext(connection) as queries:
        payment, replayed = transfer(payer, payee, "10.00", "k1")

    sent = statements(queries)
    assert len(sent) == 3, sent  # the request's reads; the counters' and the ledger's; the writes
    assert not WRITE.search(sent[0] + sent[1])
    # the entry first, then the rest
    assert sent[2].index("INSERT INTO ledger_entry (id, kind") < sent[2].index('INSERT INTO "payments_payment"')
    assert not replayed and payment.status == Payment.Status.POSTED
    stored = Payment.objects.get(pk=payment.pk)
    assert (stored.status, stored.entry_id, stored.amount) == ("posted", payment.entry_id, Decimal("10.00"))
    assert JournalEntry.objects.get(pk=payment.entry_id).idempotency_key == f"payment:{payment.reference}"
    assert list(PaymentStatusChange.objects.filter(payment=payment).order_by("id")
                .values_list("from_status", "to_status")) == [("", "initiated"), ("initiated", "posted")]


def test_insufficient_funds_are_refused_from_the_reads_and_nothing_is_written(accounts):
    payer, payee = accounts
    transfer(payer, payee, "1.00", "warm-up")

    with CaptureQueriesContext(connection) as queries, pytest.raises(InsufficientFunds):
        transfer(payer, payee, "500.00", "too-much")

    sent = statements(queries)
    assert [sql for sql in sent if WRITE.search(sql)] == []
    assert len(sent) == 2
    assert not Payment.objects.filter(idempotency_key="too-much").exists()


def test_a_currency_deactivated_after_the_process_cached_it_is_refused(accounts):
    from core_banking.ledger.exceptions import UnknownCurrency
    from core_banking.ledger.models import Currency

    payer, payee = accounts
    transfer(payer, payee, "1.00", "warm-up")  # the process caches the currencies
    Currency.objects.filter(code="EUR").update(is_active=False)

    with pytest.raises(UnknownCurrency):
        transfer(payer, payee, "10.00", "after")


def test_a_replay_reads_the_payment_and_writes_nothing(accounts):
    payer, payee = accounts
    first, _ = transfer(payer, payee, "10.00", "k1")

    with CaptureQueriesContext(connection) as queries:
        again, replayed = transfer(payer, payee, "10.00", "k1")

    assert replayed and again.pk == first.pk and again.entry_id == first.entry_id
    assert [sql for sql in statements(queries) if WRITE.search(sql)] == []
