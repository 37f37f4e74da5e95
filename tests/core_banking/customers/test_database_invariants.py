"""The customer rules PostgreSQL enforces itself, proven with raw SQL that goes around the ORM."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from tests import banking

pytestmark = pytest.mark.django_db

INSERT = """
    INSERT INTO customers_customer (number, type, status, kyc_status, risk_rating, first_name, last_name,
        nationality, occupation, legal_name, registration_number, incorporation_country, industry, email, phone,
        created_at, updated_at)
    VALUES (%s, %s, 'active', 'not_started', 'medium', %s, %s, '', '', %s, '', '', '', '', '', now(), now())
"""


def insert(number: str, type: str, first: str = "", last: str = "", legal: str = "") -> None:
    with connection.cursor() as cursor:
        cursor.execute(INSERT, [number, type, first, last, legal])


def refused(constraint: str):
    return pytest.raises(IntegrityError, match=constraint)


@pytest.mark.parametrize(
    ("type", "names"),
    [
        ("person", {"first": "Ada", "last": ""}),
        ("person", {"first": "", "last": "Lovelace"}),
        ("person", {"legal": "Ada Ltd"}),
        ("business", {"first": "Ada", "last": "Lovelace"}),
        ("business", {}),
        ("trust", {"first": "Ada", "last": "Lovelace", "legal": "Ada Trust"}),
    ],
)
def test_customer_name_by_type_refuses_a_customer_without_the_name_its_type_needs(type, names):
    with refused("customer_name_by_type"), transaction.atomic():
        insert("RAW-1", type, **names)


def test_customer_name_by_type_accepts_a_named_person_and_business():
    insert("RAW-1", "person", first="Ada", last="Lovelace")
    insert("RAW-2", "business", legal="Acme B.V.")

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_customer WHERE number LIKE 'RAW-%%'")
        assert cursor.fetchone() == (2,)


def test_customer_name_by_type_refuses_an_update_that_blanks_the_name():
    ada = banking.customer()
    acme = banking.customer(type="business")

    with connection.cursor() as cursor:
        with refused("customer_name_by_type"), transaction.atomic():
            cursor.execute("UPDATE customers_customer SET last_name = '' WHERE id = %s", [ada.pk])
        with refused("customer_name_by_type"), transaction.atomic():
            cursor.execute("UPDATE customers_customer SET legal_name = '' WHERE id = %s", [acme.pk])
        with refused("customer_kyc_approved_has_time"), transaction.atomic():
            cursor.execute("UPDATE customers_customer SET kyc_approved_at = NULL WHERE id = %s", [ada.pk])
