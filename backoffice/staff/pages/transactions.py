"""Transaction look-up for support agents, and a payment's full story.

The look-up filters by reference (or end-to-end id), IBAN (our account on either side, or the
counterparty's), customer number, amount range, business-date range and status, through
``payments.selectors.payment_search`` (each filter an index, see its docstring); a bad filter is a
form error (400), never a 500. The list shows at most ``LIMIT`` payments, newest first.

The story of one payment: its status history with who moved it, the journal entry with every
posting (and the return entry), the fee breakdown, the hold, the screening and monitoring
decisions (compliance alerts, for who may see them; the engine's review reasons for everyone) and
the reconciliation match of its postings (for who may see reconciliation). Fixed query count.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from backoffice.staff.decorators import staff_page
from backoffice.tickets import selectors as tickets_selectors
from compliance.cases import selectors as cases_selectors
from core_banking.customers import selectors as customers_selectors
from core_banking.payments import selectors as payments_selectors
from reconciliation import selectors as reconciliation_selectors

from .forms import TransactionFilterForm

VIEW = "payments.view_payment"
LIMIT = 100


@staff_page(VIEW)
def transactions_view(request: HttpRequest) -> HttpResponse:
    form = TransactionFilterForm(request.GET or None)
    payments = None
    status = 200
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        customer_id = None
        if data["customer"]:
            found = customers_selectors.customer_find(number=data["customer"], limit=1)
            if not found:
                form.add_error("customer", "There is no customer with this number.")
            else:
                customer_id = found[0].pk
        if form.is_valid():
            payments = list(payments_selectors.payment_search(
                reference=data["reference"], iban=data["iban"], customer_id=customer_id,
                amount_min=data["amount_min"], amount_max=data["amount_max"], business_date_from=data["date_from"],
                business_date_to=data["date_to"], status=data["status"])[:LIMIT])
    if form.is_bound and not form.is_valid():
        status = 400
    elif not form.is_bound:
        payments = list(payments_selectors.payment_search()[:LIMIT // 2])
    return render(request, "staff/transactions.html",
                  {"form": form, "payments": payments, "limit": LIMIT, "filtered": form.is_bound}, status=status)


@staff_page(VIEW)
def payment_view(request: HttpRequest, payment_id: int) -> HttpResponse:
    user = request.user
    story = payments_selectors.payment_story(payment_id=payment_id)
    context = {**story, "show_postings": user.has_perm("ledger.view_journalentry")}
    if user.has_perm("compliance_cases.view_alert"):
        context["alerts"] = cases_selectors.payment_alerts(story["payment"].pk)
    if user.has_perm("reconciliation.view_statementline"):
        context["matches"] = reconciliation_selectors.matches_for_postings([p.pk for p in story["postings"]])
    if user.has_perm("tickets.view_ticket"):
        context["tickets"] = list(tickets_selectors.ticket_search(payment_id=story["payment"].pk)[:20])
    return render(request, "staff/payment.html", context)
