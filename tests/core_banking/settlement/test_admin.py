"""Staff read batches, files and their payments over the API and in the admin, and download any
file; operations import an answer by upload; who may do what is in tests/authz/table.py."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core_banking.payments.models import Payment
from core_banking.settlement import services
from core_banking.settlement.models import Batch, SettlementFile
from tests.core_banking.api_auth import assert_problem, ensure_roles, sign_in, staff_api, staff_user

from . import files
from .conftest import business_cutoff, outgoing

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(world):
    ensure_roles()
    cutoff = business_cutoff()
    payments = [outgoing(world.ada, "10.00", at=cutoff - dt.timedelta(hours=1)),
                outgoing(world.bram, "20.00", at=cutoff - dt.timedelta(hours=1))]
    services.close_due_batches(now=cutoff + dt.timedelta(minutes=1))
    return Batch.objects.get(), payments


def test_staff_read_batches_and_download_the_file(sent):
    batch, payments = sent
    api = staff_api(staff_user("finance"))
    listed = api.get("/api/v1/settlement/batches/?status=sent")
    assert listed.status_code == 200 and [b["id"] for b in listed.json()["results"]] == [batch.pk]
    detail = api.get(f"/api/v1/settlement/batches/{batch.pk}/").json()
    assert detail["total_amount"] == "30.00" and detail["message_id"] == batch.message_id
    assert sorted(i["payment"] for i in detail["items"]) == sorted(p.pk for p in payments)
    assert [f["kind"] for f in detail["files"]] == ["pain.001"]
    assert [h["to_status"] for h in detail["history"]] == ["open", "closed", "sent"]
    download = api.get(f"/api/v1/settlement/files/{detail['files'][0]['id']}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/xml"
    assert download.content == bytes(SettlementFile.objects.get().content)
    assert_problem(api.get("/api/v1/settlement/batches/999999/"), status=404, code="settlement_batch_not_found")
    assert_problem(staff_api(staff_user("support_agent")).get("/api/v1/settlement/batches/"), status=403,
                   code="permission_denied")


def test_operations_upload_a_status_report_in_the_admin_and_download_files(sent):
    batch, payments = sent
    browser = sign_in(Client(), staff_user("operations"))
    assert browser.get(reverse("admin:settlement_batch_change", args=[batch.pk])).status_code == 200
    pain = SettlementFile.objects.get()
    download = browser.get(reverse("admin:settlement_settlementfile_download", args=[pain.pk]))
    assert download.status_code == 200 and download.content == bytes(pain.content)
    report = files.pain002(batch, rejected={payments[0].end_to_end_id: "AC04"})
    response = browser.post(reverse("admin:settlement_settlementfile_import"),
                            {"file": SimpleUploadedFile("pain002.xml", report, content_type="application/xml")})
    assert response.status_code == 302, response.content
    assert Payment.objects.get(pk=payments[0].pk).status == "returned"
    assert Payment.objects.get(pk=payments[1].pk).status == "settled"
    # A support agent neither imports nor downloads.
    agent = sign_in(Client(), staff_user("support_agent"))
    assert agent.get(reverse("admin:settlement_settlementfile_import")).status_code == 403
    assert agent.get(reverse("admin:settlement_settlementfile_download", args=[pain.pk])).status_code == 403


@pytest.mark.parametrize("role", ["operations", "finance", "compliance_officer"])
def test_every_settlement_admin_page_opens_for_the_roles_that_see_it(sent, role):
    batch, payments = sent
    services.settlement_file_import(data=files.camt054([
        {"direction": "CRDT", "amount": "9.00", "creditor_iban": "NL20CBNK0999999999"}]))
    browser = sign_in(Client(), staff_user(role))
    from core_banking.settlement.models import BatchItem, SuspenseItem

    pages = (("batch", batch), ("batchitem", BatchItem.objects.first()),
             ("settlementfile", SettlementFile.objects.first()), ("suspenseitem", SuspenseItem.objects.get()))
    for model, obj in pages:
        for url in (reverse(f"admin:settlement_{model}_changelist"),
                    reverse(f"admin:settlement_{model}_change", args=[obj.pk])):
            response = browser.get(url)
            assert response.status_code == 200, (role, url, response.status_code)
            assert b"30.000000" not in response.content and b"9.000000" not in response.content
    book = browser.get(reverse("admin:settlement_suspenseitem_book", args=[SuspenseItem.objects.get().pk]))
    assert book.status_code == (200 if role == "operations" else 403)
