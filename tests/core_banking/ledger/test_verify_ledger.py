"""verify_ledger finds edits made behind the application's back, with the triggers disabled."""

from contextlib import contextmanager
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core_banking.ledger.services import entry_reverse, hold_create, transfer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("maker_checker_direct")]


@contextmanager
def triggers_disabled():
    """What an attacker with database access (or a botched manual fix) can do."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def run_verify():
    out, err = StringIO(), StringIO()
    call_command("verify_ledger", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def ledger(bank):
    transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("100.00"),
             idempotency_key="d1")
    paid = transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("40.00"),
                    idempotency_key="p1")
    transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.fees.pk, amount=Decimal("1.00"),
             idempotency_key="f1")
    entry_reverse(entry_id=paid.entry.pk, idempotency_key="r1")
    hold_create(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("5.00"),
                idempotency_key="h1")
    return bank, paid.entry


def test_a_clean_ledger_verifies(ledger):
    out, err = run_verify()
    assert "ledger verified" in out
    assert "entries 4, postings 8" in out
    assert err == ""


def test_an_edited_amount_is_found_even_when_the_entry_still_balances(ledger):
    bank, entry = ledger
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE ledger_posting SET amount = amount * 10 WHERE entry_id = %s", [entry.pk])
        cursor.execute("SELECT id FROM ledger_posting WHERE entry_id = %s ORDER BY id", [entry.pk])
        posting_ids = [row[0] for row in cursor.fetchall()]

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="ledger verification failed"):
        call_command("verify_ledger", stdout=out, stderr=err)
    report = err.getvalue()
    assert f"posting {posting_ids[0]} (entry {entry.pk}) records balance" in report
    assert f"entry {entry.pk}: hash chain" in report
    assert f"account {bank.alice.pk}/0 stores balance" in report


def test_an_edited_description_breaks_the_hash_chain(ledger):
    _, entry = ledger
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE ledger_entry SET description = 'nothing to see' WHERE id = %s", [entry.pk])

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=StringIO(), stderr=err)
    assert f"entry {entry.pk}: hash chain" in err.getvalue()


def test_a_deleted_entry_leaves_a_gap(ledger):
    bank, _ = ledger
    with triggers_disabled() as cursor:
        cursor.execute("SELECT id FROM ledger_entry WHERE idempotency_key = 'f1'")
        fee_entry = cursor.fetchone()[0]
        cursor.execute("DELETE FROM ledger_posting WHERE entry_id = %s", [fee_entry])
        cursor.execute("DELETE FROM ledger_entry WHERE id = %s", [fee_entry])

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=StringIO(), stderr=err)
    report = err.getvalue()
    assert "hash chain" in report
    assert f"account {bank.alice.pk}/0 stores balance" in report


def test_an_unbalanced_entry_and_a_tampered_balance_row_are_named(ledger):
    bank, entry = ledger
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE ledger_posting SET amount = amount + 1 WHERE id = (SELECT min(id) FROM ledger_posting"
            " WHERE entry_id = %s)", [entry.pk],
        )
        cursor.execute("UPDATE ledger_balance SET held = 0 WHERE account_id = %s", [bank.alice.pk])

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=StringIO(), stderr=err)
    report = err.getvalue()
    assert f"entry {entry.pk} does not balance in EUR: +1" in report
    assert "the ledger does not sum to zero in EUR" in report
    assert f"account {bank.alice.pk}/0 stores 0 held, pending holds give 5" in report


def test_a_posting_of_no_entry_and_an_entry_on_no_chain_are_named(ledger):
    # The database checks these references when rows are written (triggers, not foreign keys);
    # with the triggers off, only the verification finds them.
    bank, entry = ledger
    with triggers_disabled() as cursor:
        cursor.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, currency_id, amount, shard, balance_after,"
            " posted_at, business_date, value_date) SELECT entry_id + 1000, account_id, currency_id, amount, shard,"
            " balance_after, posted_at + interval '1 day', business_date, value_date FROM ledger_posting"
            " WHERE entry_id = %s RETURNING id",
            [entry.pk],
        )
        orphan = min(row[0] for row in cursor.fetchall())
        cursor.execute("UPDATE ledger_entry SET chain_id = 999 WHERE id = %s", [entry.pk])

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=StringIO(), stderr=err)
    report = err.getvalue()
    assert f"posting {orphan} refers to missing entry {entry.pk + 1000}" in report
    assert f"entry {entry.pk} is on hash chain 999, which does not exist" in report
