"""Search everywhere: one box that finds a customer (name, e-mail, phone, IBAN, customer number),
an account (IBAN, number), a payment (reference or end-to-end id, amount, business date, IBAN), a
ledger entry (``#id``, external reference or amount), a ticket (number) or a compliance case (number).

Why it stays fast on millions of rows: the box is parsed into typed tokens first (an IBAN, an
e-mail, a date, an amount, a number with a known prefix, name words), and each kind of token is
looked up by an exact or range predicate that one index answers, never by a pattern over every
table:

* customers: number (unique), ``UPPER(email)`` (expression index), phone (index), name words of
  three characters or more through the ``pg_trgm`` GIN indexes on the upper-cased names
  (``customers.0003_search_indexes``; a ``LIKE '%word%'`` a B-tree could not serve);
* accounts: IBAN and number (unique indexes);
* payments: reference (unique) or end-to-end id (``payment_end_to_end``), amount
  (``payment_amount_time``), business date (``payment_date_status``), counterparty IBAN
  (``payment_cpty_iban_time``) or our account's id on either side (the account-time indexes);
* ledger entries: primary key, ``external_ref`` (its index) or amount: an entry with a posting of
  that absolute amount, debit or credit (``ledger_posting_amount``, ``ledger.0007``); the criteria
  are combined with OR;
* tickets and cases: their unique numbers.

Every list stops at ``LIMIT`` rows. Each kind is searched only for a user who may view it
(``customers.view_customer``, ``payments.view_payment``, ...), and personal data in the results is
masked for a user without ``customers.view_customer_pii``.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from backoffice.staff.decorators import staff_page
from backoffice.tickets import selectors as tickets_selectors
from compliance.cases import selectors as cases_selectors
from core_banking.accounts import selectors as accounts_selectors
from core_banking.customers import pii
from core_banking.customers import selectors as customers_selectors
from core_banking.ledger import selectors as ledger_selectors
from core_banking.payments import selectors as payments_selectors

from .forms import IBAN_RE, SearchForm, compact_iban, parse_amount, parse_date

LIMIT = 20
#: Who may use the box at all: anyone who may view one of the kinds it finds.
SEARCH_PERMISSIONS = ("customers.view_customer", "accounts.view_account", "payments.view_payment",
                      "ledger.view_journalentry", "tickets.view_ticket", "compliance_cases.view_case")

PAYMENT_REF_RE = re.compile(r"^PAY[0-9A-F]{12}$")
CUSTOMER_RE = re.compile(r"^[CT][0-9A-F]{8,14}$")
TICKET_RE = re.compile(r"^T\d{8}$")
CASE_RE = re.compile(r"^CASE-\d+$")
ACCOUNT_NUMBER_RE = re.compile(r"^\d{10}$")
ENTRY_RE = re.compile(r"^#(\d{1,18})$")
PHONE_RE = re.compile(r"^\+?[\d ()-]{7,}$")


def parse(query: str) -> dict:
    """Split the box into typed tokens (see the module docstring). Returns the criteria found and
    ``errors`` for tokens that look like a kind but are not valid (a 2026-13-45)."""
    criteria: dict = {"names": [], "raw": query.strip(), "errors": []}
    text = query.strip()
    whole = compact_iban(text)
    groups = text.split()
    if IBAN_RE.match(whole) and len(groups) > 1 and all(len(g) <= 4 for g in groups):
        criteria["iban"] = whole  # an IBAN typed in groups of four
        return criteria
    if PHONE_RE.match(text) and sum(ch.isdigit() for ch in text) >= 8 and (" " in text or text.startswith("+")):
        criteria["phone"] = text
        return criteria
    for token in text.split():
        upper = token.upper()
        date = parse_date(token)
        if "@" in token:
            criteria["email"] = token
        elif date is False:
            criteria["errors"].append(f"{token} is not a date (YYYY-MM-DD).")
        elif date is not None:
            criteria["date"] = date
        elif PAYMENT_REF_RE.match(upper):
            criteria["payment_reference"] = upper
        elif CASE_RE.match(upper):
            criteria["case"] = upper
        elif TICKET_RE.match(upper):
            criteria["ticket"] = upper
            criteria["customer_number"] = upper  # a T-number is also how a pending customer is numbered
        elif CUSTOMER_RE.match(upper):
            criteria["customer_number"] = upper
        elif ENTRY_RE.match(token):
            criteria["entry_id"] = int(ENTRY_RE.match(token).group(1))
        elif ACCOUNT_NUMBER_RE.match(token):
            criteria["account_number"] = token
        elif IBAN_RE.match(upper):
            criteria["iban"] = upper
        elif token.startswith("+") and PHONE_RE.match(token):
            criteria["phone"] = token
        elif parse_amount(token) is not None:
            criteria["amount"] = parse_amount(token)
        else:
            criteria["names"].append(token)
    return criteria


def run_search(user, criteria: dict) -> dict:
    """The results per kind, each read through its app's selector, for what ``user`` may view."""
    results: dict = {}
    names = " ".join(criteria["names"])
    single_word = criteria["raw"] if len(criteria["raw"].split()) == 1 else ""
    if user.has_perm("customers.view_customer"):
        customers = customers_selectors.customer_find(
            number=criteria.get("customer_number", ""), email=criteria.get("email", ""),
            phone=criteria.get("phone", ""), name=names, limit=LIMIT)
        full = pii.may_see_pii(user)
        results["customers"] = [{"id": c.pk, "number": c.number, "name": c.display_name, "type": c.get_type_display(),
                                 "kyc": c.get_kyc_status_display(), "status": c.get_status_display(),
                                 "email": c.email if full else pii.mask_email(c.email),
                                 "phone": c.phone if full else pii.mask_phone(c.phone)} for c in customers]
    if user.has_perm("accounts.view_account") and (criteria.get("iban") or criteria.get("account_number")):
        results["accounts"] = accounts_selectors.account_find(iban=criteria.get("iban", ""),
                                                              number=criteria.get("account_number", ""), limit=LIMIT)
    if user.has_perm("payments.view_payment"):
        # A lone unclassified word may be an end-to-end id: an exact look-up on its index.
        reference = criteria.get("payment_reference", "") or (single_word if criteria["names"] else "")
        if reference or criteria.get("amount") is not None or criteria.get("date") or criteria.get("iban"):
            results["payments"] = payments_selectors.payment_find(
                reference=reference, amount=criteria.get("amount"), business_date=criteria.get("date"),
                iban=criteria.get("iban", ""), limit=LIMIT)
    if user.has_perm("ledger.view_journalentry") and (criteria.get("entry_id") or single_word
                                                       or criteria.get("amount") is not None):
        results["entries"] = ledger_selectors.journal_entry_find(
            entry_id=criteria.get("entry_id"), external_ref=single_word, amount=criteria.get("amount"), limit=LIMIT)
    if user.has_perm("tickets.view_ticket") and criteria.get("ticket"):
        results["tickets"] = tickets_selectors.ticket_find(number=criteria["ticket"], limit=LIMIT)
    if user.has_perm("compliance_cases.view_case") and criteria.get("case"):
        results["cases"] = cases_selectors.case_find(number=criteria["case"], limit=LIMIT)
    return results


@staff_page(SEARCH_PERMISSIONS)
def search_view(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results, criteria = None, None
    if form.is_bound and form.is_valid():
        criteria = parse(form.cleaned_data["q"])
        for error in criteria["errors"]:
            form.add_error("q", error)
        if not criteria["errors"]:
            results = run_search(request.user, criteria)
    context = {"form": form, "results": results, "criteria": criteria, "limit": LIMIT,
               "found": sum(len(v) for v in results.values()) if results else 0}
    template = "staff/search_results.html" if request.headers.get("HX-Request") else "staff/search.html"
    # A full page answers 400 to a bad query; an htmx fragment 200, so that htmx swaps the errors in.
    status = 400 if form.is_bound and not form.is_valid() and not request.headers.get("HX-Request") else 200
    return render(request, template, context, status=status)
