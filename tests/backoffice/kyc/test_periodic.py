"""Periodic re-review: one set-based statement opens a review case per customer due; idempotent."""

import datetime as dt

import pytest

from backoffice.kyc import services, tasks
from backoffice.kyc.models import KycApplication, KycHistory
from core_banking.audit.models import AuditEvent
from core_banking.customers.models import Customer
from core_banking.customers.services import customer_set_kyc_status
from tests import banking

from .conftest import draft, today

pytestmark = pytest.mark.django_db


def _due(days_ago: int, **fields):
    customer = banking.customer(**fields)
    return banking.as_system(customer_set_kyc_status, customer_id=customer.pk, status="approved",
                                   next_review_date=today() - dt.timedelta(days=days_ago))


def test_periodic_reviews_open_once_for_customers_due(people):
    due = _due(1)
    due_too = _due(30)
    not_yet = _due(0)  # due today: not yet passed
    busy = _due(5)
    draft(busy, people.ops, docs=[])  # already has an open application
    closed = _due(3)
    Customer.objects.filter(pk=closed.pk).update(status="closed")
    assert tasks.open_periodic_reviews.delay().get() == 2
    opened = KycApplication.objects.filter(kind="periodic_review")
    assert sorted(opened.values_list("customer_id", flat=True)) == sorted([due.pk, due_too.pk])
    assert set(opened.values_list("status", flat=True)) == {"draft"}
    assert KycHistory.objects.filter(application__in=opened, action="create").count() == 2
    assert AuditEvent.objects.filter(action="kyc.periodic_review_opened").count() == 2
    assert services.open_periodic_reviews() == 0  # idempotent
    assert KycApplication.objects.filter(kind="periodic_review").count() == 2
    assert not KycApplication.objects.filter(customer=not_yet).exists()


def test_a_periodic_review_runs_the_workflow_and_moves_the_review_date(people):
    customer = _due(1)
    services.open_periodic_reviews()
    application = KycApplication.objects.get(customer=customer)
    from .conftest import add_document

    for type in ("passport", "proof_of_address"):
        add_document(application, people.ops, type)
    services.application_submit(application_id=application.pk, actor=people.ops)
    customer.refresh_from_db()
    assert customer.kyc_status == "approved"  # a periodic review keeps the status until decided
    services.application_start_review(application_id=application.pk, actor=people.officer)
    services.application_approve(application_id=application.pk, actor=people.officer)
    customer.refresh_from_db()
    assert customer.next_review_date > today()
    assert services.open_periodic_reviews() == 0
