"""``staff_page(permission)``: the one gate of the staff pages (issue 9), used by the new pages and
by the compliance and reconciliation pages that had near-copies of it."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from backoffice.staff.decorators import may_open, staff_page
from compliance.cases.staff import views as compliance_views
from core_banking.common.errors import NotFound
from reconciliation.staff import views as reconciliation_views
from tests.core_banking.ledger.interfaces import staff_user

pytestmark = pytest.mark.django_db


def test_every_staff_page_view_is_gated_by_staff_page():
    from backoffice.staff.pages import customer, dashboard, queues, search, transactions

    views = [search.search_view, customer.customer_view, customer.customer_action_view,
             transactions.transactions_view, transactions.payment_view, queues.queues_view,
             queues.kyc_application_view, queues.kyc_action_view, queues.approval_view,
             queues.approval_action_view, dashboard.dashboard_view, dashboard.eod_panel_view,
             compliance_views.queue_view, compliance_views.case_view, compliance_views.case_action_view,
             reconciliation_views.index_view, reconciliation_views.breaks_view, reconciliation_views.safeguarding_view]
    for view in views:
        assert hasattr(view, "staff_permission"), view.__name__
    assert compliance_views.queue_view.staff_permission == "compliance_cases.view_case"
    assert reconciliation_views.index_view.staff_permission == "reconciliation.view_statementline"
    assert not hasattr(compliance_views, "compliance_page")
    assert not hasattr(reconciliation_views, "reconciliation_page")


def test_the_gate_sends_anonymous_to_sign_in_and_refuses_the_others(people, signed_in, client):
    url = reverse("staff:dashboard")
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("staff:login"))
    assert signed_in(people.support).get(url).status_code == 403  # no dashboard permission
    assert signed_in(people.ops).get(url).status_code == 200
    unverified = type(client)()
    unverified.force_login(people.ops)  # password only: the middleware sends them to the second factor
    response = unverified.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_may_open_needs_staff_second_factor_and_one_of_the_permissions(people):
    rf = RequestFactory()

    @staff_page(("payments.view_payment", "tickets.view_ticket"))
    def view(request):
        raise NotFound("gone")

    request = rf.get("/staff/x/")
    request.user = people.support
    request.user.is_verified = lambda: True
    from django.http import Http404

    with pytest.raises(Http404):
        view(request)
    assert may_open(people.support, None)
    assert not may_open(people.admin, "payments.view_payment")
    customer_user = staff_user(None, username="outsider")
    customer_user.is_staff = False
    customer_user.is_verified = lambda: True
    assert not may_open(customer_user, None)

    @staff_page(None)
    def ok(request):
        return HttpResponse("ok")

    request.user = people.nobody
    request.user.is_verified = lambda: False
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        ok(request)
