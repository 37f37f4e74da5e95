"""The demo loader: policies always; one pending freeze for the compliance officer's inbox; idempotent."""

from io import StringIO

import pytest

from backoffice.approvals import demo, selectors
from backoffice.approvals.models import ApprovalPolicy, ApprovalRequest
from backoffice.approvals.registry import ACTION_TYPES
from tests import banking
from tests.core_banking.ledger.interfaces import staff_user

pytestmark = pytest.mark.django_db


def test_the_demo_without_customers_creates_only_policies():
    out = StringIO()
    demo.load_demo(stdout=out)
    assert ApprovalPolicy.objects.count() == len(ACTION_TYPES)
    assert ApprovalRequest.objects.count() == 0 and "no request" in out.getvalue()


def test_the_demo_is_idempotent(bank, eur_product):
    customer = banking.customer(first_name="Demo", last_name="Person", email="person@demo.corebank.test")
    banking.account(customer, eur_product)
    staff_user("operations", username="demo_operations")
    officer = staff_user("compliance_officer", username="demo_compliance_officer")
    demo.load_demo(stdout=StringIO())
    demo.load_demo(stdout=StringIO())
    request = ApprovalRequest.objects.get()
    assert request.status == "pending" and list(selectors.inbox_for_user(officer)) == [request]
