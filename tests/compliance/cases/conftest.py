"""Fixtures for compliance cases: the role groups with ``CASES_ROLE_PERMISSIONS`` (applied here too,
so the tests do not depend on the merge into backoffice/staff/roles.py), people in each role, a
bank with accounts, a payment held for review (a test-only payment check answering ``Review``) and
the private attachment storage in a temporary directory."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission

from compliance.cases.models import CaseAttachment
from compliance.cases.roles import CASES_ROLE_PERMISSIONS
from compliance.cases.services import alert_raise
from core_banking.ledger.selectors import account_balance
from core_banking.payments import services as payments
from core_banking.payments.seams import Review
from tests import banking
from tests.core_banking.ledger.interfaces import ensure_roles, staff_user

D = Decimal
CHECK = "tests.compliance.cases.conftest.review_flagged"


def review_flagged(intent):
    """Test-only payment check: a payment whose remittance says FLAG is held for review."""
    if "FLAG" in (intent.payment.remittance_info if intent.payment else ""):
        return Review(code="compliance_test", reason="flagged by the test rule", details={"rule": "test"})
    return None


@pytest.fixture(autouse=True)
def roles(db):
    ensure_roles()
    for role, perms in CASES_ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


@pytest.fixture(autouse=True)
def private_storage(tmp_path, monkeypatch):
    storage = CaseAttachment._meta.get_field("file").storage
    location = tmp_path / "compliance-private"
    monkeypatch.setitem(storage.__dict__, "base_location", str(location))
    monkeypatch.setitem(storage.__dict__, "location", str(location))
    return location


@pytest.fixture
def people(db):
    return SimpleNamespace(
        reviewer=staff_user("compliance_reviewer", username="reviewer"),
        other_reviewer=staff_user("compliance_reviewer", username="other-reviewer"),
        officer=staff_user("compliance_officer", username="officer"),
        other_officer=staff_user("compliance_officer", username="other-officer"),
        support=staff_user("support_agent", username="support"),
        ops=staff_user("operations", username="ops"),
        admin=staff_user("administrator", username="admin"),
    )


@pytest.fixture
def world(bank, settings):
    settings.CORE_BANKING_PAYMENT_CHECKS = [*settings.CORE_BANKING_PAYMENT_CHECKS, CHECK]
    product = banking.product(bank, code="CUR-EUR", name="Current account EUR")
    ada = banking.customer(first_name="Ada", last_name="Lovelace")
    bram = banking.customer(first_name="Bram", last_name="de Vries")
    a, b = banking.account(ada, product), banking.account(bram, product)
    banking.fund(bank, a, "100000.00")
    return SimpleNamespace(bank=bank, ada=ada, bram=bram, a=a, b=b)


def held_payment(world, amount="1200.00", key="held-1"):
    payment, _ = payments.payment_create(kind="internal_transfer", amount=amount, currency="EUR",
                                         debtor_account_id=world.a.pk, creditor_account_id=world.b.pk,
                                         remittance_info="FLAG invoice 7", idempotency_key=key)
    assert payment.status == "pending_review"
    return payment


def raise_alert(customer, key="k1", *, score=60, payment=None, source="monitoring", rule="large_amount", facts=None):
    alert, _ = alert_raise(customer_id=customer.pk, source=source, rule_code=rule, summary=f"{rule} fired",
                           score=score, dedup_key=key, facts=facts or {"amount": "1200.00", "threshold": "1000"},
                           rule_version=2, payment_id=payment.pk if payment else None)
    return alert


def balance(account):
    return account_balance(account_id=account.ledger_account_id)
