"""The support look-up is served by indexes, not by scanning the payments table.

100,000 payments are written with one set-based INSERT (around the ORM, like a migration of a
bank's history would be), the table is analysed, and each look-up's plan is read with EXPLAIN.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from core_banking.payments.selectors import payment_search
from tests import banking

pytestmark = pytest.mark.django_db

ROWS = 100_000


@pytest.fixture
def many_payments(bank, eur_product):
    accounts = [banking.account(banking.customer(), eur_product) for _ in range(50)]
    ids = [a.pk for a in accounts]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO payments_payment (
                reference, kind, status, channel, debtor_account_id, customer_id_debtor, amount, currency_id,
                counterparty_iban, counterparty_name, counterparty_bic, counterparty_country, remittance_info,
                end_to_end_id, fee_amount, fees, review_reasons, status_reason, business_date,
                idempotency_scope, idempotency_key, request_hash, created_at, updated_at)
            SELECT 'PAYH' || lpad(g::text, 12, '0'), 'outgoing', 'rejected', 'api', a.id, a.customer_id,
                   ((g * 7919) %% 500000) / 100.0 + 0.01, 'EUR',
                   'DE' || lpad((g %% 5000)::text, 20, '0'), 'Beneficiary', '', 'DE', '', 'E2E-' || g, 0, '[]',
                   '[]', '', DATE '2026-01-01' + (g %% 300), 'bulk', 'h-' || g, '',
                   TIMESTAMPTZ '2026-01-01' + g * INTERVAL '1 minute', now()
            FROM generate_series(1, %s) AS g
            JOIN accounts_account a ON a.id = (%s::bigint[])[1 + g %% %s]
            """,
            [ROWS, ids, len(ids)],
        )
        cursor.execute("ANALYZE payments_payment")
    return accounts


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


LOOK_UPS = {
    "reference": {"reference": "PAYH000000012345"},
    "end_to_end_id": {"reference": "E2E-777"},
    "counterparty_iban": {"iban": "DE00000000000000001234"},
    "amount_range": {"amount_min": Decimal("4999.00"), "amount_max": Decimal("4999.50")},
    "business_date": {"business_date_from": dt.date(2026, 3, 1), "business_date_to": dt.date(2026, 3, 1)},
}


def test_look_ups_use_an_index(many_payments):
    customer_id = many_payments[7].customer_id
    for name, filters in {**LOOK_UPS, "customer": {"customer_id": customer_id},
                          "account": {"account_id": many_payments[3].pk}}.items():
        text = plan(payment_search(**filters)[:50])
        assert "Seq Scan on payments_payment" not in text, (name, text)
        assert "Index" in text, (name, text)
    assert payment_search(customer_id=customer_id).count() == ROWS // 50
    assert payment_search(reference="E2E-777").get().reference == "PAYH000000000777"
