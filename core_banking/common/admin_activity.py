"""What a person opening a customer or an account in the admin needs to see at once: the accounts
with their balances, recent payments, open tickets; an account's recent transactions and its
statement. Small read-only tables for read-only fields; a row links to its record only when the
viewer may open it (``admin_request.link_to``). Amounts through ``money_display``.

Support tickets belong to the back office: they are shown when that app is installed (looked up by
name; the engine does not import the back office).
"""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core_banking.common.admin_request import current_request, link_to
from core_banking.common.money_display import format_money

CUSTOMER_FIELDS = ("accounts_overview", "recent_payments", "open_tickets")
ACCOUNT_FIELDS = ("recent_transactions", "statement_links")
RECENT = 10


def _table(headers: tuple[str, ...], rows: list[tuple], empty: str):
    if not rows:
        return empty
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join("", "<tr>{}</tr>", (
        (format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows))
    return format_html('<table class="activity"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', head, body)


def customer_accounts(customer):
    from core_banking.accounts.models import Account
    from core_banking.accounts.selectors import ledger_shard_total

    accounts = (Account.objects.filter(customer=customer).select_related("currency", "product")
                .annotate(posted_balance=ledger_shard_total("balance"), held_balance=ledger_shard_total("held"))
                .order_by("id"))
    rows = [(link_to(a, a.iban), a.name or a.product.name, a.get_status_display(),
             format_money(a.posted_balance, a.currency), format_money(a.posted_balance - a.held_balance, a.currency))
            for a in accounts]
    return _table(("IBAN", "name", "status", "posted balance", "available"), rows, "No accounts.")


def _payment_rows(payments):
    return [(p.business_date, link_to(p, p.reference), p.get_kind_display(), format_money(p.amount, p.currency_id),
             p.get_status_display()) for p in payments]


def customer_payments(customer):
    from core_banking.payments.models import Payment

    payments = (Payment.objects.filter(Q(debtor_account__customer=customer) | Q(creditor_account__customer=customer))
                .order_by("-id")[:RECENT])
    return _table(("business date", "reference", "kind", "amount", "status"), _payment_rows(payments),
                  "No payments.")


def customer_tickets(customer):
    request = current_request()
    if not apps.is_installed("backoffice.tickets") or request is None or not request.user.has_perm(
            "tickets.view_ticket"):
        return "—"
    Ticket = apps.get_model("tickets", "Ticket")
    tickets = Ticket.objects.filter(customer=customer, status__in=Ticket.ACTIVE_STATES).order_by("-id")[:RECENT]
    rows = [(link_to(t, t.number), t.subject, t.get_status_display(), t.get_priority_display()) for t in tickets]
    return _table(("ticket", "subject", "status", "priority"), rows, "No open tickets.")


def account_transactions(account):
    from core_banking.ledger.models import Posting

    postings = (Posting.objects.filter(account_id=account.ledger_account_id).select_related("entry")
                .order_by("-id")[:RECENT])
    rows = [(p.business_date, link_to(p.entry, f"entry {p.entry_id}"), p.entry.description or p.entry.kind,
             format_money(p.amount, p.currency_id), format_money(p.balance_after, p.currency_id)) for p in postings]
    return _table(("business date", "entry", "description", "amount", "balance after"), rows, "No transactions.")


def account_statement_links(account):
    """This month's statement (to today) as PDF and CSV, through the statement API."""
    try:
        url = reverse("accounts:account-statement", args=[account.pk])
    except NoReverseMatch:
        return "—"
    today = timezone.localdate()
    start = today.replace(day=1)
    query = f"date_from={start.isoformat()}&date_to={today.isoformat()}"
    last_month_end = start - dt.timedelta(days=1)
    previous = f"date_from={last_month_end.replace(day=1).isoformat()}&date_to={last_month_end.isoformat()}"
    return format_html('This month: <a href="{}?{}&format=pdf">PDF</a> · <a href="{}?{}&format=csv">CSV</a>; '
                       'last month: <a href="{}?{}&format=pdf">PDF</a> · <a href="{}?{}&format=csv">CSV</a>',
                       url, query, url, query, url, previous, url, previous)
