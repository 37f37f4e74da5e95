"""Loans in the admin: read-only pages with the schedule, and the lifecycle actions offered only
to whom the permissions allow, calling the services (refusals shown as messages)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from core_banking.loans.models import Loan
from core_banking.loans.services import loan_apply
from tests.core_banking.api_auth import sign_in, staff_user

pytestmark = pytest.mark.django_db
LOANS = "/admin/loans/loan/"


def _actions(user) -> set[str]:
    request = RequestFactory().get(LOANS)
    request.user = user
    return set(admin.site._registry[Loan].get_actions(request))


def test_the_loan_page_shows_the_schedule_read_only(client, loan, maker):
    sign_in(client, staff_user(superuser=True))

    page = client.get(f"{LOANS}{loan.pk}/change/")
    changelist = client.get(LOANS)

    assert page.status_code == 200 and changelist.status_code == 200
    content = page.content.decode()
    assert "888.49" in content and "0.00 / 100.00" in content and "schedule" in content.lower()
    assert 'name="principal"' not in content
    assert client.get(f"{LOANS}add/").status_code == 403


def test_actions_follow_the_permissions(maker, checker):
    support = staff_user("support_agent")

    assert _actions(maker) == {"disburse_selected"}
    assert _actions(checker) == {"approve_selected", "write_off_selected"}
    assert _actions(support) == set()


def test_approving_in_the_admin_calls_the_service_and_refuses_the_maker(client, start, loan_product, ada,
                                                                        current_account, maker, checker):
    loan = loan_apply(customer_id=ada.pk, product_id=loan_product.pk, account_id=current_account.pk,
                      principal="1000.00", term=6, actor=maker)
    sign_in(client, checker)

    response = client.post(LOANS, {"action": "approve_selected", "_selected_action": [loan.pk],
                                   "reason": "income verified"}, follow=True)

    loan.refresh_from_db()
    assert response.status_code == 200 and loan.status == "approved" and loan.instalments.count() == 6
    assert loan.status_changes.last().reason == "income verified"

    write_off = client.post(LOANS, {"action": "write_off_selected", "_selected_action": [loan.pk], "reason": ""},
                            follow=True)
    assert "Type the reason" in write_off.content.decode()
    assert Loan.objects.get(pk=loan.pk).status == "approved"
