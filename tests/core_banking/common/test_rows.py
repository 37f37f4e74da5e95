"""``from_row``: model instances from raw rows, as ``Model.from_db`` (the ORM's own reads) makes them."""

import pytest
from django.db import connection
from django.db.models import signals

from core_banking.accounts.models import Account, Product
from core_banking.common.rows import Joined, _plain, from_row
from core_banking.customers.models import Customer
from core_banking.ledger.models import Currency
from tests import banking

pytestmark = pytest.mark.django_db

ACCOUNT_ROW = Joined(("a", Account), ("c", Customer), ("p", Product), ("cur", Currency))
SQL = (f"SELECT {ACCOUNT_ROW.columns} FROM accounts_account a JOIN customers_customer c ON c.id = a.customer_id"
       " JOIN accounts_product p ON p.id = a.product_id JOIN ledger_currency cur ON cur.code = a.currency_id"
       " WHERE a.id = %s")


def _read(account_id):
    with connection.cursor() as cursor:
        cursor.execute(SQL, [account_id])
        return cursor.fetchone()


def _as_the_orm_reads_them(account_id):
    account = Account.objects.select_related("customer", "product", "currency").get(pk=account_id)
    return [account, account.customer, account.product, account.currency]


def _state(obj):
    return {k: v for k, v in obj.__dict__.items() if k != "_state"}, obj._state.adding, obj._state.db


def test_instances_from_a_row_are_what_the_orm_reads(ada, eur_product):
    account = banking.account(ada, eur_product)
    made = ACCOUNT_ROW.instances(_read(account.pk))
    assert all(_plain(model) for model in (Account, Customer, Product, Currency))  # made without from_db
    for ours, orm in zip(made, _as_the_orm_reads_them(account.pk), strict=True):
        assert type(ours) is type(orm)
        ours_dict, adding, db = _state(ours)
        orm_dict, orm_adding, orm_db = _state(orm)
        orm_dict.pop("_prefetched_objects_cache", None)
        assert (adding, db) == (orm_adding, orm_db) == (False, "default")
        assert ours_dict == orm_dict
    assert made[0].status == account.status  # the state field reads through its descriptor
    made[0].customer_id = made[0].customer_id  # and the instance behaves as any other
    made[0].refresh_from_db()


def test_with_an_init_signal_connected_instances_go_through_from_db(ada, eur_product):
    account = banking.account(ada, eur_product)
    seen = []

    def receiver(sender, **kwargs):
        seen.append(sender)

    signals.post_init.connect(receiver, sender=Customer)
    try:
        from_row(Customer, _read(account.pk)[len(Account._meta.concrete_fields):][:len(Customer._meta.concrete_fields)])
    finally:
        signals.post_init.disconnect(receiver, sender=Customer)
    assert seen == [Customer]
