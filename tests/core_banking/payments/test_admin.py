"""Payments and FX in the admin: read-only payments, review actions, rates added through the service."""

import pytest
from django.test import Client

from core_banking.payments import services
from core_banking.payments.models import FxRate, Payment
from tests import banking
from tests.core_banking.api_auth import ensure_roles, sign_in, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(bank, eur_product, ada, bram, settings):
    settings.CORE_BANKING_PAYMENT_CHECKS = ["tests.core_banking.payments.test_worked_examples.review_large"]
    a, b = banking.account(ada, eur_product), banking.account(bram, eur_product)
    banking.fund(bank, a, "2000.00")
    p, _ = services.payment_create(kind="internal_transfer", amount="1500.00", currency="EUR",
                                   debtor_account_id=a.pk, creditor_account_id=b.pk, idempotency_key="adm")
    return p


def client_for(user) -> Client:
    return sign_in(Client(), user)


def test_a_reviewer_releases_from_the_admin_and_nobody_edits(payment):
    ensure_roles()
    reviewer = client_for(staff_user("compliance_reviewer"))
    listing = reviewer.get("/admin/payments/payment/", {"q": payment.debtor_account.iban})
    assert listing.status_code == 200 and payment.reference in listing.content.decode()
    page = reviewer.get(f"/admin/payments/payment/{payment.pk}/change/")
    assert page.status_code == 200 and b"Pending review" in page.content
    assert b'name="_save"' not in page.content
    response = reviewer.post("/admin/payments/payment/", {"action": "release_selected",
                                                          "_selected_action": [payment.pk]})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == Payment.Status.POSTED


def test_support_cannot_release(payment):
    ensure_roles()
    support = client_for(staff_user("support_agent"))
    assert support.get("/admin/payments/payment/").status_code == 200
    assert support.get("/admin/payments/fxrate/add/").status_code == 403


def test_operations_publish_a_rate_in_the_admin(db):
    ensure_roles()
    ops = client_for(staff_user("operations"))
    response = ops.post("/admin/payments/fxrate/add/", {"base": "EUR", "quote": "GBP", "mid_rate": "0.8512",
                                                        "spread": "0.004", "valid_from_0": "2026-11-01",
                                                        "valid_from_1": "09:00:00", "source": "ECB"})
    assert response.status_code == 302, response.content.decode()[:2000]
    row = FxRate.objects.get()
    assert str(row.mid_rate) == "0.851200000000" and row.created_by is not None
    bad = ops.post("/admin/payments/fxrate/add/", {"base": "EUR", "quote": "EUR", "mid_rate": "-1",
                                                   "spread": "0.004", "valid_from_0": "2026-11-01",
                                                   "valid_from_1": "09:00:00"})
    assert bad.status_code == 200 and FxRate.objects.count() == 1
