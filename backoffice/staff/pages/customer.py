"""Customer 360°: everything about one customer on one page, each section read through its app's
selector and shown only to who may view it, and the actions the user may take without leaving
the page:

* **open a ticket** (``tickets.add_ticket``) through ``tickets.services.ticket_create``;
* **request an account freeze** (``accounts.change_account``) through
  ``accounts.services.account_transition``: the maker-checker gate turns it into an approval
  request that a second person decides (``/staff/approvals/<id>/``); nothing is frozen until then;
* **request a document** from the customer (whoever may review the customer's open KYC
  application): ``kyc.services.application_request_information`` with the document named.

Personal data (e-mail, phone, date of birth, addresses, tax ids) is masked for a user without
``customers.view_customer_pii`` (support agents), by ``customers.selectors.customer_profile``.
Queries per page are fixed (asserted in tests/backoffice/staff/test_customer_360.py).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from backoffice.approvals import selectors as approvals_selectors
from backoffice.kyc import selectors as kyc_selectors
from backoffice.kyc import services as kyc_services
from backoffice.kyc.models import KycDocument, kyc_may_see_documents
from backoffice.staff.decorators import staff_page
from backoffice.tickets import selectors as tickets_selectors
from backoffice.tickets import services as tickets_services
from compliance.cases import selectors as cases_selectors
from core_banking.accounts import selectors as accounts_selectors
from core_banking.accounts import services as accounts_services
from core_banking.audit import selectors as audit_selectors
from core_banking.common.errors import DomainError
from core_banking.common.maker_checker import Deferred
from core_banking.customers import selectors as customers_selectors
from core_banking.ledger import selectors as ledger_selectors
from core_banking.payments import selectors as payments_selectors

from .forms import DocumentRequestForm, FreezeRequestForm, TicketOpenForm

VIEW = "customers.view_customer"
RECENT_PAYMENTS = 20
DOCUMENT_APPLICATIONS = 5  # applications whose documents are listed (each needs an object-permission check)
FREEZABLE = ("active", "debit_blocked", "credit_blocked", "dormant")


def _context(request: HttpRequest, customer_id: int, **forms) -> dict:
    user = request.user
    customer = customers_selectors.customer_get(customer_id=customer_id)
    context: dict = {"customer": customer, "profile": customers_selectors.customer_profile(customer, user),
                     "page_error": forms.get("page_error"), "open_form": forms.get("open_form")}
    accounts = []
    if user.has_perm("accounts.view_account"):
        accounts = list(accounts_selectors.account_list(customer_id=customer.pk).order_by("number"))
        context["accounts"] = accounts
        context["holds"] = ledger_selectors.holds_for_accounts(
            ledger_account_ids=[a.ledger_account_id for a in accounts])
    if user.has_perm("payments.view_payment"):
        context["payments"] = list(payments_selectors.payment_search(customer_id=customer.pk)[:RECENT_PAYMENTS])
    if user.has_perm("kyc.view_kycapplication"):
        applications = kyc_selectors.customer_applications(customer.pk)
        for index, application in enumerate(applications):
            application.visible_documents = (
                list(application.documents.all()) if index < DOCUMENT_APPLICATIONS and application.documents.all()
                and kyc_may_see_documents(application, user) else None)
        context["applications"] = applications
    if user.has_perm("tickets.view_ticket"):
        context["tickets"] = tickets_selectors.customer_open_tickets(customer.pk)
    if user.has_perm("compliance_cases.view_case"):
        compliance = cases_selectors.customer_compliance(customer.pk)
        context["cases"] = compliance["cases"]
        if user.has_perm("compliance_cases.view_alert"):
            context["alerts"] = compliance["alerts"]
    if user.has_perm("approvals.view_approvalrequest"):
        targets = [f"customer:{customer.pk}", *(f"account:{a.pk}" for a in accounts)]
        context["approvals"] = approvals_selectors.requests_for_targets(targets)
    if user.has_perm("audit.view_auditevent"):
        context["audit"] = audit_selectors.audit_events_for_objects(
            {"customers.customer": [customer.pk], "accounts.account": [a.pk for a in accounts]}, limit=50)
    # The actions: each form only for who may use it (the services check again).
    if user.has_perm("tickets.add_ticket"):
        context["ticket_form"] = forms.get("ticket_form") or TicketOpenForm(accounts=accounts,
                                                                             auto_id="id_ticket_%s")
    freezable = [a for a in accounts if a.status in FREEZABLE]
    if user.has_perm("accounts.change_account") and user.has_perm("approvals.add_approvalrequest") and freezable:
        context["freeze_form"] = forms.get("freeze_form") or FreezeRequestForm(accounts=freezable,
                                                                               auto_id="id_freeze_%s")
    application = _document_request_target(customer.pk, user)
    if application is not None or forms.get("document_form") is not None:  # a refused request shows why
        context["document_application"] = application
        context["document_form"] = forms.get("document_form") or DocumentRequestForm(auto_id="id_document_%s")
    return context


def _document_request_target(customer_id: int, user):
    """The open KYC application on which ``user`` may request information now, or None."""
    if not user.has_perm("kyc.view_kycapplication"):
        return None
    application = kyc_selectors.latest_open_application(customer_id)
    if application is None:
        return None
    actions = {t["action"] for t in kyc_selectors.available_transitions(application, user)}
    return application if "request_information" in actions else None


@staff_page(VIEW)
def customer_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    return render(request, "staff/customer.html", _context(request, customer_id))


ACTIONS = {"ticket", "freeze", "document"}


@staff_page(VIEW)
def customer_action_view(request: HttpRequest, customer_id: int, action: str) -> HttpResponse:
    """POST from the 360° page. Success redirects back with a message; an invalid form or a
    service's refusal re-renders the page with the error next to the form (400, 403 or 409)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if action not in ACTIONS:
        raise Http404("no such customer action")
    user = request.user
    customer = customers_selectors.customer_get(customer_id=customer_id)
    accounts = (list(accounts_selectors.account_list(customer_id=customer.pk))
                if user.has_perm("accounts.view_account") else [])
    forms: dict = {"open_form": action}
    redirect_to = reverse("staff:customer", args=[customer.pk])
    try:
        if action == "ticket":
            form = forms["ticket_form"] = TicketOpenForm(request.POST, accounts=accounts, auto_id="id_ticket_%s")
            if form.is_valid():
                data = form.cleaned_data
                ticket = tickets_services.ticket_create(
                    customer_id=customer.pk, category_code=data["category"].code, subject=data["subject"],
                    description=data["description"], priority=data["priority"], account_id=data["account"],
                    actor=user)
                done = f"Ticket {ticket.number} opened."
        elif action == "freeze":
            if not (user.has_perm("accounts.change_account") and user.has_perm("approvals.add_approvalrequest")):
                raise PermissionDenied
            freezable = [a for a in accounts if a.status in FREEZABLE]
            form = forms["freeze_form"] = FreezeRequestForm(request.POST, accounts=freezable, auto_id="id_freeze_%s")
            if form.is_valid():
                result = accounts_services.account_transition(account_id=form.cleaned_data["account"],
                                                              action="freeze", actor=user,
                                                              reason=form.cleaned_data["reason"])
                if isinstance(result, Deferred):
                    done = (f"Freeze requested: approval request {result.request_id} waits for a second person. "
                            "The account stays as it is until then.")
                    redirect_to = reverse("staff:approval", args=[result.request_id])
                else:
                    done = f"Account {result.iban} frozen."
        else:  # document
            form = forms["document_form"] = DocumentRequestForm(request.POST, auto_id="id_document_%s")
            if form.is_valid():
                application = _document_request_target(customer.pk, user)
                if application is None:
                    form.add_error(None, "There is no open KYC application on which you may request information.")
                else:
                    kind = KycDocument.Type(form.cleaned_data["document_type"]).label
                    note = form.cleaned_data["note"].strip()
                    reason = f"Please provide: {kind}." + (f" {note}" if note else "")
                    kyc_services.application_request_information(application_id=application.pk, actor=user,
                                                                 reason=reason[:500])
                    done = f"{kind} requested from the customer (KYC application {application.pk})."
    except DomainError as error:
        form.add_error(None, error.detail)
        forms["page_error"] = error.detail
        status = error.status if error.status in (403, 404, 409) else 400
        return render(request, "staff/customer.html", _context(request, customer_id, **forms), status=status)
    if not form.is_valid():
        return render(request, "staff/customer.html", _context(request, customer_id, **forms), status=400)
    messages.success(request, done)
    return HttpResponseRedirect(redirect_to)
