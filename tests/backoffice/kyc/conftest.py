"""Fixtures for the KYC app: the role groups with the KYC permissions of ``backoffice/kyc/roles.py``,
people in each role, customers (a person, an adult business with beneficial owners), documents
as uploads, and the storage in a temporary MEDIA_ROOT."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from backoffice.kyc import services
from backoffice.kyc.models import KycApplication, KycCheckResult, KycDocument, KycHistory
from core_banking.audit.models import AuditEvent
from core_banking.customers.models import Customer
from tests import banking
from tests.core_banking.ledger.interfaces import ensure_roles, staff_user

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
FUTURE = dt.date.today() + dt.timedelta(days=3 * 365)


@pytest.fixture(autouse=True)
def roles(db):
    ensure_roles()  # the catalogue, which merges KYC_ROLE_PERMISSIONS


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """MEDIA_ROOT in a temporary directory (the private KYC storage is one already, see
    backoffice/settings/test.py): nothing a test uploads may end up there."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def people(db):
    return SimpleNamespace(
        ops=staff_user("operations", username="ops"),
        reviewer=staff_user("compliance_reviewer", username="reviewer"),
        other_reviewer=staff_user("compliance_reviewer", username="other-reviewer"),
        officer=staff_user("compliance_officer", username="officer"),
        other_officer=staff_user("compliance_officer", username="other-officer"),
        support=staff_user("support_agent", username="support"),
    )


@pytest.fixture
def ada(db):
    return banking.customer(kyc="not_started", first_name="Ada", last_name="Lovelace",
                            date_of_birth=dt.date(1985, 12, 10), occupation="Engineer")


@pytest.fixture
def acme(db):
    return banking.customer(kyc="not_started", type="business", legal_name="Acme B.V.", industry="Software",
                            related_parties=[
                                {"role": "beneficial_owner", "first_name": "Wile", "last_name": "Coyote",
                                 "date_of_birth": dt.date(1970, 1, 1), "nationality": "NL",
                                 "country_of_residence": "NL", "ownership_percent": Decimal("60")},
                                {"role": "beneficial_owner", "first_name": "Road", "last_name": "Runner",
                                 "date_of_birth": dt.date(1975, 1, 1), "nationality": "BE",
                                 "country_of_residence": "BE", "ownership_percent": Decimal("40")},
                                {"role": "director", "first_name": "Dee", "last_name": "Rector"}])


def upload(name="passport.pdf", content=PDF, content_type="application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def add_document(application, actor, type="passport", *, expiry_date=FUTURE, name=None, content=PDF,
                 content_type="application/pdf") -> KycDocument:
    return services.document_upload(application_id=application.pk, type=type, actor=actor,
                                    upload=upload(name or f"{type}.pdf", content, content_type),
                                    expiry_date=expiry_date if type in KycDocument.IDENTITY_TYPES else None)


PERSON_DOCS = ("passport", "proof_of_address")
BUSINESS_DOCS = ("company_registration", "ubo_declaration")


def draft(customer, actor, *, docs=None, product_kind="") -> KycApplication:
    application = services.application_create(customer_id=customer.pk, product_kind=product_kind, actor=actor)
    default = PERSON_DOCS if customer.type == "person" else BUSINESS_DOCS
    for type in default if docs is None else docs:
        add_document(application, actor, type)
    return application


def in_review(customer, people, *, assignee=None, **options) -> KycApplication:
    application = draft(customer, people.ops, **options)
    services.application_submit(application_id=application.pk, actor=people.ops)
    services.application_assign(application_id=application.pk, assignee_id=(assignee or people.reviewer).pk,
                                actor=people.ops)
    return services.application_start_review(application_id=application.pk, actor=assignee or people.reviewer)


def checks_by_code(application) -> dict[str, str]:
    application.refresh_from_db()
    return dict(KycCheckResult.objects.filter(application=application, run=application.check_run)
                .values_list("code", "outcome"))


def snapshot(application) -> tuple:
    """Everything a refused action must leave as it was."""
    from guardian.models import UserObjectPermission

    row = KycApplication.objects.filter(pk=application.pk).values().get()
    history = list(KycHistory.objects.filter(application=application).values_list("id", flat=True))
    events = AuditEvent.objects.filter(object_type="kyc.kycapplication", object_id=str(application.pk)).count()
    documents = list(KycDocument.objects.filter(application=application).values_list("id", flat=True))
    checks = KycCheckResult.objects.filter(application=application).count()
    perms = UserObjectPermission.objects.filter(object_pk=str(application.pk)).count()
    customer = Customer.objects.filter(pk=application.customer_id).values(
        "kyc_status", "risk_rating", "next_review_date").get()
    return row, history, events, documents, checks, perms, customer


def today():
    return timezone.localdate()
