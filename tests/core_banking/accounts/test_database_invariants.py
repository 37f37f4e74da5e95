"""The account rules PostgreSQL enforces itself, proven with raw SQL that goes around the ORM."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from core_banking.accounts.models import Account
from tests import banking

pytestmark = pytest.mark.django_db


def execute(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_account_closed_has_time_refuses_a_closed_account_without_a_closing_time(account):
    with pytest.raises(IntegrityError, match="account_closed_has_time"), transaction.atomic():
        execute("UPDATE accounts_account SET status = 'closed' WHERE id = %s", [account.pk])

    assert Account.objects.get(pk=account.pk).status == "active"


def test_account_closed_has_time_accepts_a_closed_account_with_its_closing_time(account):
    execute("UPDATE accounts_account SET status = 'closed', closed_at = now() WHERE id = %s", [account.pk])

    account = Account.objects.get(pk=account.pk)
    assert account.status == "closed" and account.closed_at is not None


def test_account_closed_has_time_refuses_clearing_the_closing_time_of_a_closed_account(account):
    execute("UPDATE accounts_account SET status = 'closed', closed_at = now() WHERE id = %s", [account.pk])

    with pytest.raises(IntegrityError, match="account_closed_has_time"), transaction.atomic():
        execute("UPDATE accounts_account SET closed_at = NULL WHERE id = %s", [account.pk])


def test_the_overdraft_limit_and_iban_constraints_hold_around_the_orm(ada, product, account):
    other = banking.account(ada, product)

    with pytest.raises(IntegrityError, match="account_overdraft_gte_0"), transaction.atomic():
        execute("UPDATE accounts_account SET overdraft_limit = -1 WHERE id = %s", [account.pk])
    with pytest.raises(IntegrityError, match="iban"), transaction.atomic():
        execute("UPDATE accounts_account SET iban = %s WHERE id = %s", [account.iban, other.pk])


def test_product_overdraft_constraints_hold_around_the_orm(product):
    with pytest.raises(IntegrityError, match="product_overdraft_limits"), transaction.atomic():
        execute("UPDATE accounts_product SET default_overdraft_limit = max_overdraft_limit + 1 WHERE id = %s",
                [product.pk])
    with pytest.raises(IntegrityError, match="product_no_overdraft_no_limit"), transaction.atomic():
        execute("UPDATE accounts_product SET overdraft_allowed = false WHERE id = %s", [product.pk])
