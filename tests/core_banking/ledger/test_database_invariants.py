"""The database refuses bad ledger data by itself, whoever writes it: these tests go around the
ORM and the services with raw SQL."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.utils import DatabaseError

from core_banking.ledger.models import AccountBalance, JournalEntry, LedgerChain, Posting
from core_banking.ledger.services import transfer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("maker_checker_direct")]


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _insert_entry(key: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_entry (kind, business_date, value_date, created_at, external_ref, description,"
            " metadata, idempotency_scope, idempotency_key, request_hash, chain_id, chain_seq, hash)"
            " VALUES ('transfer', %s, %s, now(), '', '', '{}', 'raw', %s, '', 63, "
            " (SELECT coalesce(max(chain_seq), 0) + 1 FROM ledger_entry WHERE chain_id = 63), '')"
            " RETURNING id",
            [dt.date(2026, 1, 1), dt.date(2026, 1, 1), key],
        )
        return cursor.fetchone()[0]


def _insert_posting(entry_id, account, amount, at):
    _raw(
        "INSERT INTO ledger_posting (entry_id, account_id, currency_id, amount, shard, balance_after, posted_at,"
        " business_date, value_date) VALUES (%s, %s, %s, %s, 0, 0, %s, '2026-01-01', '2026-01-01')",
        [entry_id, account.pk, account.currency_id, Decimal(amount), at],
    )


def _insert_postings(entry_id, *legs):
    _raw(
        "INSERT INTO ledger_posting (entry_id, account_id, currency_id, amount, shard, balance_after, posted_at,"
        " business_date, value_date) VALUES "
        + ", ".join(["(%s, %s, %s, %s, 0, 0, now() + %s * interval '1 second', '2026-01-01', '2026-01-01')"]
                    * len(legs)),
        [v for i, (account, amount) in enumerate(legs) for v in (entry_id, account.pk, account.currency_id,
                                                                  Decimal(amount), i)],
    )


def test_an_unbalanced_insert_of_postings_is_refused_at_once(bank):
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        entry_id = _insert_entry("unbalanced")
        _insert_postings(entry_id, (bank.cash, "10.00"), (bank.alice, "-9.00"))

    assert JournalEntry.objects.count() == 0
    assert Posting.objects.count() == 0


def test_an_entry_written_in_two_balanced_statements_is_accepted(bank):
    # The unit the statement-level check balances is the statement: an entry may take its
    # postings in several statements if each balances (so, with no zero amount, the whole does).
    with transaction.atomic():
        entry_id = _insert_entry("two-statements")
        _insert_postings(entry_id, (bank.cash, "10.00"), (bank.alice, "-10.00"))
        _raw(
            "INSERT INTO ledger_posting (entry_id, account_id, currency_id, amount, shard, balance_after,"
            " posted_at, business_date, value_date) VALUES"
            " (%s, %s, 'EUR', 3, 0, 0, now() + interval '1 minute', '2026-01-01', '2026-01-01'),"
            " (%s, %s, 'EUR', -3, 0, 0, now() + interval '1 minute', '2026-01-01', '2026-01-01')",
            [entry_id, bank.cash.pk, entry_id, bank.alice.pk],
        )
    assert Posting.objects.filter(entry_id=entry_id).count() == 4


def test_a_posting_of_an_entry_that_does_not_exist_is_refused_at_once(bank):
    missing = (JournalEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000
    with pytest.raises(IntegrityError, match="ledger_posting_entry"), transaction.atomic():
        _insert_postings(missing, (bank.cash, "10.00"), (bank.alice, "-10.00"))
        pytest.fail("the INSERT itself must be refused, not the commit")
    assert Posting.objects.count() == 0


def test_a_posting_of_an_account_that_does_not_exist_is_refused_at_once(bank):
    ghost = SimpleNamespace(pk=bank.cash.pk + 100_000, currency_id="EUR")
    with pytest.raises(IntegrityError, match="ledger_posting_account_currency"), transaction.atomic():
        entry_id = _insert_entry("ghost-account")
        _insert_postings(entry_id, (ghost, "10.00"), (bank.alice, "-10.00"))
        pytest.fail("the INSERT itself must be refused, not the commit")
    assert JournalEntry.objects.count() == 0


def test_an_entry_on_a_chain_that_does_not_exist_is_refused_at_commit(bank):
    with pytest.raises(IntegrityError, match="ledger_entry_chain"), transaction.atomic():
        _raw(
            "INSERT INTO ledger_entry (kind, business_date, value_date, created_at, external_ref, description,"
            " metadata, idempotency_scope, idempotency_key, request_hash, chain_id, chain_seq, hash)"
            " VALUES ('transfer', '2026-01-01', '2026-01-01', now(), '', '', '{}', 'raw', 'no-chain', '',"
            " 9999, 1, '')"
        )
        entry_id = JournalEntry.objects.get(idempotency_key="no-chain").pk
        _insert_postings(entry_id, (bank.cash, "10.00"), (bank.alice, "-10.00"))
    assert JournalEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("DELETE FROM ledger_ledgeraccount WHERE id = %(account)s", "Cannot delete"),
        ("UPDATE ledger_ledgeraccount SET currency_id = 'USD' WHERE id = %(account)s", "Cannot update"),
        ("UPDATE ledger_ledgeraccount SET id = id + 100000 WHERE id = %(account)s", "Cannot update"),
        ("DELETE FROM ledger_chain WHERE id = 63", "Cannot delete"),
        ("UPDATE ledger_chain SET id = 999 WHERE id = 63", "Cannot update"),
        ("TRUNCATE ledger_chain", "cannot truncate"),
    ],
)
def test_what_postings_and_entries_name_is_never_deleted_or_renumbered(bank, statement, refusal):
    # Postings and entries refer to accounts and chains without foreign keys (checked when
    # written): the rows they name must stay as they were, even with no posting yet.
    name = bank.alice.name
    with pytest.raises((InternalError, IntegrityError, DatabaseError), match=refusal), transaction.atomic():
        _raw(statement, {"account": bank.alice.pk})
    bank.alice.refresh_from_db()
    assert (bank.alice.name, bank.alice.currency_id) == (name, "EUR")
    assert LedgerChain.objects.filter(id=63).exists()


def test_a_posting_slipped_into_an_existing_entry_is_refused(bank):
    posted = transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("7.00"),
                      idempotency_key="t")
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        _insert_postings(posted.entry.pk, (bank.alice, "-1.00"))
    assert Posting.objects.filter(entry_id=posted.entry.pk).count() == 2


def test_a_balanced_raw_entry_is_accepted_by_the_triggers(bank):
    # The triggers refuse what is wrong, not everything: a balanced raw insert commits
    # (verify_ledger would then flag its missing balance updates and hash).
    with transaction.atomic():
        entry_id = _insert_entry("balanced")
        _insert_postings(entry_id, (bank.cash, "10.00"), (bank.alice, "-10.00"))
    assert Posting.objects.filter(entry_id=entry_id).count() == 2


def test_an_entry_without_postings_is_refused(bank):
    with pytest.raises(IntegrityError, match="fewer than two postings"), transaction.atomic():
        _insert_entry("empty")


def test_a_posting_in_another_currency_than_its_account_is_refused(bank):
    # balanced in USD, but the cash account is a EUR account: the statement-level check refuses it
    with pytest.raises(IntegrityError, match="ledger_posting_account_currency"), transaction.atomic():
        entry_id = _insert_entry("fx-cheat")
        _raw(
            "INSERT INTO ledger_posting (entry_id, account_id, currency_id, amount, shard, balance_after, posted_at,"
            " business_date, value_date) VALUES (%s, %s, 'USD', 10, 0, 0, now(), '2026-01-01', '2026-01-01'),"
            " (%s, %s, 'USD', -10, 0, 0, now(), '2026-01-01', '2026-01-01')",
            [entry_id, bank.cash.pk, entry_id, bank.alice_usd.pk],
        )


def test_an_amount_finer_than_the_currency_exponent_is_refused(bank):
    with pytest.raises(IntegrityError, match="decimal places"), transaction.atomic():
        entry_id = _insert_entry("too-fine")
        _insert_postings(entry_id, (bank.cash, "10.001"), (bank.alice, "-10.001"))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_posting SET amount = amount * 2",
        "DELETE FROM ledger_posting",
        "UPDATE ledger_entry SET description = 'edited'",
        "DELETE FROM ledger_entry",
        "TRUNCATE ledger_posting CASCADE",
        "TRUNCATE ledger_entry CASCADE",
    ],
)
def test_entries_and_postings_cannot_be_changed_or_deleted(bank, statement):
    posted = transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("7.00"),
                      idempotency_key="t")
    with pytest.raises((InternalError, IntegrityError, DatabaseError)), transaction.atomic():
        _raw(statement)

    entry = JournalEntry.objects.get(pk=posted.entry.pk)
    assert entry.description == ""
    assert sorted(entry.postings.values_list("amount", flat=True)) == [Decimal("-7.00"), Decimal("7.00")]


def test_a_balance_row_cannot_go_below_its_floor(bank):
    transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("5.00"),
             idempotency_key="t")
    with pytest.raises(IntegrityError, match="ledger_balance_available_above_floor"), transaction.atomic():
        _raw("UPDATE ledger_balance SET balance = -1 WHERE account_id = %s", [bank.alice.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw("UPDATE ledger_balance SET held = 6 WHERE account_id = %s", [bank.alice.pk])
    assert AccountBalance.objects.get(account=bank.alice).balance == Decimal("5.00")


def test_an_entry_can_be_reversed_only_once_in_the_database(bank):
    posted = transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("7.00"),
                      idempotency_key="t")
    from core_banking.ledger.services import entry_reverse

    entry_reverse(entry_id=posted.entry.pk, idempotency_key="r1")
    with pytest.raises(IntegrityError, match="reverses"), transaction.atomic():
        entry_id = _insert_entry("r2")
        _raw("SELECT 1")  # the entry insert above is not a reversal; insert one that is:
        raise_on = (
            "INSERT INTO ledger_entry (kind, business_date, value_date, created_at, external_ref, description,"
            " metadata, idempotency_scope, idempotency_key, request_hash, chain_id, chain_seq, hash, reverses_id)"
            " VALUES ('reversal', '2026-01-01', '2026-01-01', now(), '', '', '{}', 'raw', 'r3', '', 62, 1, '', %s)"
        )
        _raw(raise_on, [posted.entry.pk])
        del entry_id
