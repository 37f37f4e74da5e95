"""Who may act: object-level (assignee) rules, the compliance officer, uploads; refusals change nothing."""

import pytest

from backoffice.kyc import selectors, services
from backoffice.kyc.models import MAX_DOCUMENT_BYTES, KycApplication, KycDocument
from tests.core_banking.ledger.interfaces import staff_user

from .conftest import PNG, add_document, draft, in_review, snapshot, upload

pytestmark = pytest.mark.django_db


def test_a_reviewer_cannot_act_on_another_reviewers_case(ada, people):
    application = in_review(ada, people)
    before = snapshot(application)
    for action in ("approve", "request_information"):
        with pytest.raises(services.exc.NotAssignee):
            services.application_transition(application_id=application.pk, action=action,
                                            actor=people.other_reviewer, reason="mine now")
    with pytest.raises(services.exc.NotAssignee):
        services.application_reject(application_id=application.pk, reason_code="other", actor=people.other_reviewer)
    assert snapshot(application) == before
    assert selectors.available_transitions(application, people.other_reviewer) == []
    assert [t["action"] for t in selectors.available_transitions(application, people.reviewer)] == [
        "request_information", "approve", "reject"]


def test_a_compliance_officer_may_act_on_any_case(ada, people):
    application = in_review(ada, people)
    assert services.application_approve(application_id=application.pk, actor=people.officer).status == "approved"


def test_reassigning_moves_the_object_permission(ada, people):
    application = draft(ada, people.ops)
    services.application_submit(application_id=application.pk, actor=people.ops)
    services.application_assign(application_id=application.pk, assignee_id=people.reviewer.pk, actor=people.ops)
    services.application_assign(application_id=application.pk, assignee_id=people.other_reviewer.pk,
                                actor=people.officer)
    reviewer = type(people.reviewer).objects.get(pk=people.reviewer.pk)
    with pytest.raises(services.exc.NotAssignee):
        services.application_start_review(application_id=application.pk, actor=reviewer)
    other = type(people.other_reviewer).objects.get(pk=people.other_reviewer.pk)
    assert services.application_start_review(application_id=application.pk, actor=other).status == "in_review"


def test_roles_without_review_permission_are_refused_and_nothing_changes(ada, people):
    application = in_review(ada, people)
    before = snapshot(application)
    for user in (people.ops, people.support):
        with pytest.raises(services.exc.KycPermissionRefused):
            services.application_approve(application_id=application.pk, actor=user)
    with pytest.raises(services.exc.KycPermissionRefused):
        services.application_assign(application_id=application.pk, assignee_id=people.reviewer.pk,
                                    actor=people.reviewer)
    assert snapshot(application) == before


def test_only_reviewers_can_be_assigned(ada, people):
    application = draft(ada, people.ops)
    with pytest.raises(services.exc.InvalidAssignee):
        services.application_assign(application_id=application.pk, assignee_id=people.support.pk, actor=people.ops)


def test_a_refused_second_approval_changes_nothing(people):
    import datetime as dt

    from core_banking.customers.services import customer_create

    customer = customer_create(type="person", first_name="Ivan", last_name="Risk", date_of_birth=dt.date(1980, 1, 1),
                               addresses=[{"line1": "Street 1", "city": "Pyongyang", "country": "KP"}])
    application = in_review(customer, people)
    services.application_approve(application_id=application.pk, actor=people.reviewer)
    before = snapshot(application)
    with pytest.raises(services.exc.SameApprover):
        services.application_approve(application_id=application.pk, actor=people.reviewer)
    assert snapshot(application) == before


# --- uploads -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "content_type", "error"), [
    ("passport.exe", b"MZ\x90\x00", "application/octet-stream", "UnsupportedDocumentType"),
    ("passport.pdf", PNG, "application/pdf", "UnsupportedDocumentType"),  # content is not a PDF
    ("passport.png", PNG, "application/pdf", "UnsupportedDocumentType"),  # declared type disagrees
    ("passport.gif", b"GIF89a", "image/gif", "UnsupportedDocumentType"),
    ("passport.pdf", b"", "application/pdf", "InvalidDocument"),
])
def test_upload_validation(ada, people, name, content, content_type, error):
    application = draft(ada, people.ops, docs=[])
    before = snapshot(application)
    with pytest.raises(getattr(services.exc, error)):
        add_document(application, people.ops, name=name, content=content, content_type=content_type)
    assert snapshot(application) == before


def test_a_file_over_10_mb_is_refused(ada, people, media):
    application = draft(ada, people.ops, docs=[])
    big = upload("scan.pdf", b"%PDF-" + b"0" * MAX_DOCUMENT_BYTES, "application/pdf")
    with pytest.raises(services.exc.DocumentTooLarge, match="10 MB"):
        services.document_upload(application_id=application.pk, type="proof_of_address", upload=big,
                                 actor=people.ops)
    assert not application.documents.exists()
    storage = KycDocument._meta.get_field("file").storage
    assert not storage.exists(f"kyc-private/{application.pk}")  # nothing was written


def test_png_and_jpeg_are_accepted_and_stored_privately(ada, people, media):
    application = draft(ada, people.ops, docs=[])
    png = add_document(application, people.ops, "proof_of_address", name="bill.png", content=PNG,
                       content_type="image/png")
    jpeg = add_document(application, people.ops, "id_card", name="card.JPG", content=b"\xff\xd8\xff\xe0 jpeg",
                        content_type="image/jpeg")
    assert (png.content_type, jpeg.content_type) == ("image/png", "image/jpeg")
    assert png.file.name.startswith(f"kyc-private/{application.pk}/")
    assert "bill" not in png.file.name  # the stored name does not leak the original name
    with png.file.storage.open(png.file.name) as stored:  # the private KYC storage ...
        assert stored.read() == PNG
    assert not list(media.rglob("*.png"))  # ... not MEDIA_ROOT


def test_documents_are_taken_only_in_draft_or_information_requested(ada, people):
    application = in_review(ada, people)
    with pytest.raises(services.exc.ApplicationClosed):
        add_document(application, people.ops, "proof_of_address")


def test_uploading_needs_the_permission(ada, people):
    application = draft(ada, people.ops, docs=[])
    with pytest.raises(services.exc.KycPermissionRefused):
        add_document(application, people.reviewer, "proof_of_address")
    assert KycApplication.objects.get(pk=application.pk).documents.count() == 0


def test_an_inactive_officer_may_not_act(ada, people):
    application = in_review(ada, people)
    officer = staff_user("compliance_officer")
    officer.is_active = False
    officer.save()
    with pytest.raises(services.exc.KycPermissionRefused):
        services.application_approve(application_id=application.pk, actor=officer)
