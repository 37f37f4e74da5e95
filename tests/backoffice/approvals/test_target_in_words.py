"""Issue 16, item 6: a checker sees what they decide on, in words: the account's IBAN and holder
instead of "account 1", an entry's postings, amounts with their currency; links only to the pages
they may open."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice.approvals import selectors, services
from backoffice.approvals.targets import format_money
from core_banking.ledger.models import Currency, Posting
from tests import banking
from tests.core_banking.ledger.interfaces import sign_in, staff_api

from .conftest import freeze_request

pytestmark = pytest.mark.django_db


def _facts(target) -> dict:
    return {fact["label"]: fact for fact in target["facts"]}


def test_amounts_are_quantized_to_the_currency_and_grouped(bank):
    assert format_money(Decimal("1234567.5"), "EUR") == "1,234,567.50 EUR"
    assert format_money("-0.125", "EUR") == "-0.12 EUR"  # half even, the money module's rounding
    Currency.objects.get_or_create(code="JPY", defaults={"name": "Yen", "exponent": 0})
    assert format_money(Decimal("1500000"), "JPY") == "1,500,000 JPY"


def test_an_account_freeze_is_described_by_iban_holder_product_status_and_balance(account, people):
    approval = freeze_request(account, people.ops)

    target = selectors.request_target(approval, people.officer)

    assert target["kind"] == "account"
    facts = _facts(target)
    assert facts["IBAN"]["value"] == account.iban
    assert facts["IBAN"]["url"] == reverse("admin:accounts_account_change", args=[account.pk])
    assert facts["Customer"]["value"] == f"Ada Lovelace ({account.customer.number})"
    assert facts["Product"]["value"] == "Current account EUR (CUR-EUR)"
    assert facts["Status"]["value"] == account.get_status_display()
    assert facts["Balance"]["value"] == "1,000.00 EUR"


def test_links_only_to_what_the_viewer_may_view(account, people):
    from tests.core_banking.ledger.interfaces import staff_user

    approval = freeze_request(account, people.ops)
    nobody = staff_user()  # no model permission at all

    facts = _facts(selectors.request_target(approval, nobody))
    assert facts["IBAN"]["value"] == account.iban
    assert (facts["IBAN"]["url"], facts["Customer"]["url"], facts["Product"]["url"]) == (None, None, None)


def test_a_reversal_lists_the_entry_and_its_postings(bank, account, people):
    entry_id = Posting.objects.filter(account_id=account.ledger_account_id).values_list("entry_id", flat=True).first()
    approval = services.request_create(action_type="reversal", actor=people.finance,
                                       payload={"entry_id": entry_id, "reason": "booked twice"})

    target = selectors.request_target(approval, people.officer)

    assert target["kind"] == "journal_entry"
    assert _facts(target)["Kind"]["value"] == "Transfer"
    amounts = sorted(p["amount"] for p in target["postings"])
    assert amounts == ["-1,000.00 EUR", "1,000.00 EUR"]
    assert account.ledger_account.code in {p["account_code"] for p in target["postings"]}


def test_a_kyc_override_names_the_customer_and_their_current_status(people):
    customer = banking.customer(first_name="Grace", last_name="Hopper", kyc="pending")
    approval = services.request_create(action_type="kyc_override", actor=people.reviewer,
                                       payload={"customer_id": customer.pk, "status": "approved",
                                                "reason": "documents checked by phone"})

    facts = _facts(selectors.request_target(approval, people.officer))
    assert facts["Customer"]["value"] == f"Grace Hopper ({customer.number})"
    assert facts["Current KYC status"]["value"] == "Pending review"


def test_the_admin_page_of_an_account_freeze_shows_iban_and_customer(client, account, people):
    approval = freeze_request(account, people.ops)
    sign_in(client, people.officer)

    response = client.get(reverse("admin:approvals_approvalrequest_change", args=[approval.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="approval-target"' in html
    assert account.iban in html and "Ada Lovelace" in html and "1,000.00 EUR" in html
    assert html.index('id="approval-target"') < html.index("field-payload")
    # The officer may open the account and the customer it names (issue 16: read access for compliance).
    assert client.get(reverse("admin:accounts_account_change", args=[account.pk])).status_code == 200
    assert client.get(reverse("admin:customers_customer_change", args=[account.customer_id])).status_code == 200


def test_the_api_detail_has_the_target(account, people):
    approval = freeze_request(account, people.ops)

    body = staff_api(people.officer).get(f"/api/v1/approvals/{approval.pk}/").json()

    assert body["target"]["kind"] == "account"
    assert body["target"]["title"] == f"Account {account.iban} of Ada Lovelace"
    facts = _facts(body["target"])
    assert facts["Balance"]["value"] == "1,000.00 EUR"
    assert facts["Customer"]["url"] == reverse("admin:customers_customer_change", args=[account.customer_id])
    assert body["target"]["postings"] == []


def test_the_reviewer_who_is_no_checker_still_sees_the_target_and_its_pages(client, account, people):
    approval = freeze_request(account, people.ops)
    sign_in(client, people.reviewer)

    html = client.get(reverse("admin:approvals_approvalrequest_change", args=[approval.pk])).content.decode()
    assert account.iban in html
    assert client.get(reverse("admin:accounts_account_change", args=[account.pk])).status_code == 200
