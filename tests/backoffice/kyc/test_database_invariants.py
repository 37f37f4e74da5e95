"""The database refuses what the services refuse, around the ORM (raw SQL)."""

import pytest
from django.db import IntegrityError, connection, transaction

from .conftest import draft, in_review

pytestmark = pytest.mark.django_db


def run(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(("sql", "constraint"), [
    ("UPDATE kyc_kycapplication SET status = 'approved' WHERE id = %s", "kyc_app_approved_is_decided"),
    ("UPDATE kyc_kycapplication SET status = 'rejected', decided_at = now() WHERE id = %s",
     "kyc_app_rejected_has_reason"),
    ("UPDATE kyc_kycapplication SET rejection_reason_code = 'other' WHERE id = %s",
     "kyc_app_reason_code_only_rejected"),
    ("UPDATE kyc_kycapplication SET status = 'archived' WHERE id = %s", "kyc_app_status_valid"),
    ("UPDATE kyc_kycapplication SET submitted_at = NULL WHERE id = %s", "kyc_app_submitted_has_time"),
    ("UPDATE kyc_kycapplication SET first_approval_at = now() WHERE id = %s", "kyc_app_first_approval_pair"),
    ("UPDATE kyc_kycapplication SET status = 'approved', risk_rating = 'high', decided_at = now(), "
     "decided_by_id = assignee_id WHERE id = %s", "kyc_app_high_risk_four_eyes"),
    ("UPDATE kyc_kycapplication SET status = 'approved', risk_rating = 'high', decided_at = now(), "
     "decided_by_id = assignee_id, first_approval_by_id = assignee_id, first_approval_at = now() WHERE id = %s",
     "kyc_app_high_risk_four_eyes"),
    ("UPDATE kyc_kycdocument SET size = 10485761 WHERE application_id = %s", "kyc_document_size_range"),
    ("UPDATE kyc_kycdocument SET content_type = 'text/html' WHERE application_id = %s",
     "kyc_document_content_type_valid"),
])
def test_check_constraints(ada, people, sql, constraint):
    application = in_review(ada, people)
    with pytest.raises(IntegrityError, match=constraint):
        run(sql, [application.pk])


def test_an_approved_low_risk_application_with_its_decision_passes(ada, people):
    application = in_review(ada, people)
    run("UPDATE kyc_kycapplication SET status = 'approved', decided_at = now(), decided_by_id = assignee_id "
        "WHERE id = %s", [application.pk])


def test_one_open_application_per_customer(ada, people):
    application = draft(ada, people.ops, docs=[])
    with pytest.raises(IntegrityError, match="kyc_app_one_open_per_customer"):
        run("INSERT INTO kyc_kycapplication (customer_id, kind, status, product_kind, risk_rating, risk_factors, "
            "screening_outcome, check_run, status_reason, rejection_reason_code, created_at, updated_at) "
            "SELECT customer_id, 'onboarding', 'draft', '', '', '{}', '', 0, '', '', now(), now() "
            "FROM kyc_kycapplication WHERE id = %s", [application.pk])


@pytest.mark.parametrize("table", ["kyc_kychistory", "kyc_kyccheckresult"])
def test_history_and_check_results_are_append_only(ada, people, table):
    application = in_review(ada, people)
    with pytest.raises(IntegrityError, match="append-only"):
        run(f"UPDATE {table} SET at = now() WHERE application_id = %s", [application.pk])  # noqa: S608
    with pytest.raises(IntegrityError, match="append-only"):
        run(f"DELETE FROM {table} WHERE application_id = %s", [application.pk])  # noqa: S608
