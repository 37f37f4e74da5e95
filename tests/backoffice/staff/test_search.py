"""Search everywhere (issue 9): each kind of token finds its objects, each through an index; what a
role may not view is not searched; personal data masked; bad input is a form error; the query
count does not grow with the results; the trigram index serves a name search and the
posting-amount index a ledger-entry amount search."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from tests import banking

from .pages_world import COUNTERPARTY, compliance_case

pytestmark = pytest.mark.django_db
URL = reverse("staff:search")


def search(client, q, **headers):
    return client.get(URL, {"q": q}, **headers)


def test_finds_each_kind_of_object(world, people, signed_in):
    ops = signed_in(people.officer)
    page = search(ops, "Lovelace").content.decode()
    assert world.ada.number in page and "ada@example.test" in page
    assert world.ada.number in search(ops, "ADA@example.TEST").content.decode()
    assert world.ada.number in search(ops, "+31 20 555 0101").content.decode()
    assert world.ada.number in search(ops, world.ada.number).content.decode()
    assert world.ada.number in search(ops, "ada love").content.decode()  # every word, any name column
    by_iban = search(ops, world.a.iban).content.decode()
    assert "Accounts" in by_iban and world.internal.reference in by_iban and world.outgoing.reference in by_iban
    grouped = " ".join(world.a.iban[i:i + 4] for i in range(0, len(world.a.iban), 4))
    assert world.a.iban in search(ops, grouped).content.decode()
    assert world.a.iban in search(ops, world.a.number).content.decode()
    assert world.internal.reference in search(ops, world.internal.reference.lower()).content.decode()
    by_amount = search(ops, f"12.50 {world.internal.business_date.isoformat()}").content.decode()
    assert world.internal.reference in by_amount and world.outgoing.reference not in by_amount
    iban_and_amount = search(ops, f"{COUNTERPARTY} 250").content.decode()
    assert world.outgoing.reference in iban_and_amount and world.internal.reference not in iban_and_amount
    entry = world.internal.entry_id
    assert f"#{entry}" in search(ops, f"#{entry}").content.decode()
    assert world.ticket.subject in search(ops, world.ticket.number).content.decode()
    alert = compliance_case(world, people)
    number = alert.case.number
    assert reverse("compliance_staff:case", args=[alert.case_id]) in search(ops, number).content.decode()
    assert "Nothing found" in search(ops, "Nonexistent").content.decode()


def test_support_sees_personal_data_masked_and_no_cases(world, people, signed_in):
    support = signed_in(people.support)
    page = search(support, "Lovelace").content.decode()
    assert world.ada.number in page and "ada@example.test" not in page and "a***@example.test" in page
    assert "+31 *** *** 101" in page
    alert = compliance_case(world, people)
    assert "Compliance cases" not in search(support, alert.case.number).content.decode()


def test_who_may_search(world, people, signed_in, client):
    assert signed_in(people.nobody).get(URL).status_code == 403
    assert signed_in(people.admin).get(URL, {"q": "Lovelace"}).status_code == 200  # tickets only
    assert world.ada.number not in signed_in(people.admin).get(URL, {"q": "Lovelace"}).content.decode()
    assert signed_in(people.finance).get(URL, {"q": world.internal.reference}).status_code == 200
    assert client.get(URL).status_code == 302


def test_bad_input_is_a_form_error_never_a_500(world, people, signed_in):
    ops = signed_in(people.ops)
    for q, message in (("ab", "at least 3 characters"), ("2026-13-45", "is not a date"), ("x" * 201, "at most 200")):
        response = search(ops, q)
        assert response.status_code == 400 and message in response.content.decode(), q
    fragment = search(ops, "ab", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert "at least 3 characters" in fragment.content.decode()


def test_htmx_gets_only_the_results(world, people, signed_in):
    response = search(signed_in(people.ops), "Lovelace", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and world.ada.number in body and "<nav" not in body


def test_query_count_does_not_grow_with_results(world, people, signed_in, django_assert_max_num_queries):
    ops = signed_in(people.officer)
    search(ops, "Lovelace")  # warm the session and permission caches
    with django_assert_max_num_queries(14):
        assert search(ops, f"{world.a.iban}").status_code == 200
    for n in range(15):
        banking.customer(first_name="Ada", last_name=f"Lovelace{n}")
        banking.account(world.ada, world.product)
    with django_assert_max_num_queries(14):
        page = search(ops, "Lovelace").content.decode()
    assert page.count("/staff/customers/") >= 16


def test_a_name_search_can_use_the_trigram_index(world):
    """With sequential scans priced out (a tiny test table would never be read by index otherwise),
    the plan of the name look-up is an index scan on the trigram indexes: proof the predicate
    Django writes matches the indexed expression."""
    from core_banking.customers.models import Customer

    qs = Customer.objects.filter(last_name__icontains="ovela")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # Only a bitmap scan is left: a plain index scan could walk any index and filter its rows.
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = qs.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "customer_last_name_trgm" in plan, plan
    email = Customer.objects.filter(email__iexact="ADA@example.test")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = email.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "customer_email_upper" in plan, plan


def test_finds_ledger_entries_by_amount_in_a_fixed_number_of_queries(world, people, signed_in,
                                                                      django_assert_max_num_queries):
    from core_banking.ledger.services import transfer

    ops = signed_in(people.officer)
    search(ops, "Lovelace")  # warm the session and permission caches
    with django_assert_max_num_queries(14):
        page = search(ops, "12.50").content.decode()
    assert "Ledger entries" in page and f"#{world.internal.entry_id}" in page
    assert f"#{world.outgoing.entry_id}" not in page
    assert f"#{world.internal.entry_id}" in search(ops, "12,50").content.decode()
    assert f"#{world.internal.entry_id}" in search(ops, f"12.50 {world.a.iban}").content.decode()
    # More entries of that amount (debit or credit, any accounts) cost no more queries.
    more = [transfer(debit_account_id=world.a.ledger_account_id, credit_account_id=world.b.ledger_account_id,
                     amount=Decimal("12.50"), idempotency_key=f"more-{n}").entry_id for n in range(5)]
    with django_assert_max_num_queries(14):
        page = search(ops, "12.50").content.decode()
    assert all(f"#{entry}" in page for entry in [*more, world.internal.entry_id])
    assert "Ledger entries" not in search(ops, "12.51").content.decode()
    # Who may not view ledger entries does not search them.
    assert "Ledger entries" not in search(signed_in(people.admin), "12.50").content.decode()


def test_an_entry_amount_search_uses_the_posting_amount_index(world):
    """The query ``journal_entry_find`` sends for an amount, explained with sequential and plain
    index scans priced out (a tiny test table would never be read by index otherwise): the
    postings are found through ``ledger_posting_amount`` (migration ``ledger.0007``)."""
    from django.test.utils import CaptureQueriesContext

    from core_banking.ledger.selectors import journal_entry_find

    with CaptureQueriesContext(connection) as queries:
        assert journal_entry_find(amount=Decimal("12.50"))
    sql = queries.captured_queries[0]["sql"]
    assert "ledger_posting" in sql and "12.50" in sql, sql
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # A plain index scan could walk ledger_posting_entry and filter its rows; a bitmap scan needs
        # an index condition, which only the amount index offers.
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ledger_posting_amount" in plan, plan
