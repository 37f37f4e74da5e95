"""The bulk path: many entries, one transaction, all or nothing."""

from decimal import Decimal

import pytest

from core_banking.ledger import exceptions as exc
from core_banking.ledger.models import JournalEntry, Posting
from core_banking.ledger.selectors import account_balance
from core_banking.ledger.services import entries_post_bulk
from core_banking.ledger.verify import verify_ledger

pytestmark = pytest.mark.django_db(transaction=True)


def items(bank, count, amount="1.00"):
    return [{"postings": [{"account_id": bank.cash.pk, "amount": amount},
                          {"account_id": bank.alice.pk, "amount": f"-{amount}"}],
             "external_ref": f"imp-{i}"} for i in range(count)]


def test_ten_thousand_entries_in_one_request(bank):
    # 10,000 idempotency keys must not exhaust PostgreSQL's lock table (they fold into slots)
    results = entries_post_bulk(entries=items(bank, 10_000), idempotency_key="import-1")

    assert len(results) == 10_000 and not any(r.replayed for r in results)
    assert account_balance(account_id=bank.alice.pk).posted == Decimal("10000.00")
    assert Posting.objects.count() == 20_000
    replay = entries_post_bulk(entries=items(bank, 10_000), idempotency_key="import-1")
    assert all(r.replayed for r in replay)
    assert [r.entry_id for r in replay] == [r.entry_id for r in results]
    assert verify_ledger().ok


def test_one_bad_entry_writes_nothing_and_is_named(bank):
    batch = items(bank, 50)
    batch[17]["postings"][1]["amount"] = "-0.99"

    with pytest.raises(exc.UnbalancedEntry) as refused:
        entries_post_bulk(entries=batch, idempotency_key="import-2")

    assert refused.value.extra["entry_index"] == 17
    assert JournalEntry.objects.count() == 0


def test_a_batch_that_would_overdraw_midway_is_refused_even_if_it_ends_positive(bank):
    entries_post_bulk(entries=items(bank, 1, "10.00"), idempotency_key="fund")
    spend = {"postings": [{"account_id": bank.alice.pk, "amount": "15.00"},
                          {"account_id": bank.bob.pk, "amount": "-15.00"}]}
    top_up = items(bank, 1, "10.00")[0]

    with pytest.raises(exc.InsufficientFunds) as refused:
        entries_post_bulk(entries=[spend, top_up], idempotency_key="overdraw")

    assert refused.value.extra["entry_index"] == 0
    assert account_balance(account_id=bank.alice.pk).posted == Decimal("10.00")
    # the other order is fine
    entries_post_bulk(entries=[top_up, spend], idempotency_key="ok")
    assert account_balance(account_id=bank.alice.pk).posted == Decimal("5.00")
