"""The payments table refuses, by itself, rows that the services would never write."""

import pytest
from django.db import IntegrityError, connection, transaction

from core_banking.payments import services
from tests import banking

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(bank, eur_product, ada, bram):
    a, b = banking.account(ada, eur_product), banking.account(bram, eur_product)
    banking.fund(bank, a, "50.00")
    payment, _ = services.payment_create(kind="internal_transfer", amount="5.00", currency="EUR",
                                         debtor_account_id=a.pk, creditor_account_id=b.pk, idempotency_key="p")
    return payment


@pytest.mark.parametrize(("assignment", "constraint"), [
    ("entry_id = NULL", "payment_posted_has_entry"),
    ("amount = 0", "payment_amount_positive"),
    ("fee_amount = -1", "payment_fee_not_negative"),
    ("status = 'pending_review'", "payment_review_has_hold"),
    ("status = 'returned'", "payment_returned_has_entry"),
    ("creditor_account_id = NULL", "payment_accounts_by_kind"),
    ("kind = 'outgoing'", "payment_accounts_by_kind"),
    ("status = 'sent'", "payment_sent_is_outgoing"),
    ("status = 'settled'", "payment_sent_is_outgoing"),
])
def test_raw_updates_that_break_a_rule_are_refused(posted, assignment, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE payments_payment SET {assignment} WHERE id = %s", [posted.pk])


def test_an_idempotency_key_is_used_once_per_client(posted):
    with pytest.raises(IntegrityError, match="payment_idempotency"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payments_payment (reference, kind, status, channel, debtor_account_id, creditor_account_id,"
            " amount, currency_id, counterparty_iban, counterparty_name, counterparty_bic, counterparty_country,"
            " remittance_info, end_to_end_id, fee_amount, fees, review_reasons, status_reason, business_date,"
            " idempotency_scope, idempotency_key, request_hash, created_at, updated_at)"
            " SELECT 'PAYDUPLICATE', kind, 'initiated', channel, debtor_account_id, creditor_account_id, amount,"
            " currency_id, '', '', '', '', '', '', 0, '[]', '[]', '', business_date, idempotency_scope,"
            " idempotency_key, '', now(), now() FROM payments_payment WHERE id = %s", [posted.pk])
