"""Customer account statements: a period's opening balance, every movement with its running
balance, and the closing balance, as data (the API's JSON), CSV and PDF.

The lines are the ledger's postings on the account's ledger account (``ledger.selectors.
account_statement``: an index range scan, each line's balance is the posting's stored balance
after it), joined to the payments that wrote them so that each line carries the payment's
reference and counterparty. The closing balance is therefore the ledger's own, the same figure
``verify_ledger`` recomputes from postings.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from core_banking.common.errors import DomainError
from core_banking.ledger import selectors as ledger_selectors

from . import exceptions as exc
from .models import Account

MAX_LINES = 10_000


class StatementTooLong(DomainError):
    code = "statement_too_long"
    status = 422
    title = "The statement period has too many movements"


@dataclass(frozen=True)
class StatementLine:
    booked_at: dt.datetime
    business_date: dt.date
    value_date: dt.date
    reference: str
    description: str
    counterparty: str
    debit: Decimal
    credit: Decimal
    balance: Decimal
    entry_id: int
    payment_id: int | None


@dataclass(frozen=True)
class AccountStatement:
    account: Account
    date_from: dt.date
    date_to: dt.date
    opening_balance: Decimal
    closing_balance: Decimal
    total_debit: Decimal
    total_credit: Decimal
    lines: list[StatementLine]
    truncated: bool
    generated_at: dt.datetime

    @property
    def currency(self) -> str:
        return self.account.currency_id


def account_statement(*, account_id: int, date_from: dt.date, date_to: dt.date,
                      max_lines: int = MAX_LINES) -> AccountStatement:
    from core_banking.payments.models import Payment  # payments build on accounts, not the reverse

    account = (Account.objects.select_related("customer", "currency", "product")
               .prefetch_related("customer__addresses").filter(pk=account_id).first())
    if account is None:
        raise exc.AccountNotFound(f"account {account_id} does not exist")
    ledger_statement = ledger_selectors.account_statement(
        account_id=account.ledger_account_id, date_from=date_from, date_to=date_to, limit=max_lines)
    entry_ids = [line.entry_id for line in ledger_statement.lines]
    payments: dict[int, Payment] = {}
    for payment in Payment.objects.filter(entry_id__in=entry_ids):
        payments[payment.entry_id] = payment
    for payment in Payment.objects.filter(return_entry_id__in=entry_ids):
        payments[payment.return_entry_id] = payment
    lines = []
    for line in ledger_statement.lines:
        payment = payments.get(line.entry_id)
        counterparty = ""
        if payment is not None:
            counterparty = payment.counterparty_name or payment.counterparty_iban
        lines.append(StatementLine(
            booked_at=line.posted_at, business_date=line.business_date, value_date=line.value_date,
            reference=payment.reference if payment else line.external_ref, description=line.description,
            counterparty=counterparty, debit=line.debit, credit=line.credit, balance=line.balance,
            entry_id=line.entry_id, payment_id=payment.pk if payment else None,
        ))
    return AccountStatement(
        account=account, date_from=date_from, date_to=date_to, opening_balance=ledger_statement.opening_balance,
        closing_balance=ledger_statement.closing_balance,
        total_debit=sum((line.debit for line in lines), Decimal(0)),
        total_credit=sum((line.credit for line in lines), Decimal(0)),
        lines=lines, truncated=ledger_statement.truncated, generated_at=timezone.now(),
    )


def _complete(statement: AccountStatement) -> None:
    if statement.truncated:
        raise StatementTooLong(
            f"the period has more than {MAX_LINES} movements; ask for a shorter period", max_lines=MAX_LINES)


CSV_HEADER = ["booked_at", "business_date", "value_date", "reference", "description", "counterparty", "debit",
              "credit", "balance", "currency"]


def statement_csv(statement: AccountStatement) -> str:
    """One row per movement between an opening and a closing row (RFC 4180, UTF-8)."""
    _complete(statement)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    currency = statement.currency
    writer.writerow(["", statement.date_from.isoformat(), "", "", "Opening balance", "", "", "",
                     statement.opening_balance, currency])
    for line in statement.lines:
        writer.writerow([line.booked_at.isoformat(), line.business_date.isoformat(), line.value_date.isoformat(),
                         _safe_cell(line.reference), _safe_cell(line.description), _safe_cell(line.counterparty),
                         line.debit, line.credit, line.balance, currency])
    writer.writerow(["", statement.date_to.isoformat(), "", "", "Closing balance", "", statement.total_debit,
                     statement.total_credit, statement.closing_balance, currency])
    return out.getvalue()


def _safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas in free text (CSV injection): a leading =, +, - or @."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _latin1(text: str) -> str:
    """The PDF's core fonts cover Latin-1: keep accents, transliterate or replace the rest."""
    text = unicodedata.normalize("NFC", str(text))
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(base or "?")
    return "".join(out)


def _money(value: Decimal) -> str:
    return f"{value:,.{max(0, -value.as_tuple().exponent)}f}" if value else "0"


def statement_pdf(statement: AccountStatement) -> bytes:
    """A printable statement (A4): bank and holder, IBAN, period, opening balance, movements with
    running balance, totals and closing balance, page numbers."""
    from fpdf import FPDF

    _complete(statement)
    account, customer = statement.account, statement.account.customer
    footer_text = _latin1(f"{account.iban}  {statement.date_from} to {statement.date_to}")

    class StatementPdf(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", "", 7)
            self.cell(0, 5, f"{footer_text}   page {self.page_no()} of {{nb}}", align="C")

    pdf = StatementPdf(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.alias_nb_pages()
    pdf.set_title(_latin1(f"Statement {account.iban} {statement.date_from} to {statement.date_to}"))
    pdf.set_author(_latin1(getattr(settings, "BANK_NAME", "Core Bank")))
    widths = [22, 30, 58, 24, 24, 28]
    headers = ["Date", "Reference", "Description", "Debit", "Credit", "Balance"]

    def table_header() -> None:
        pdf.set_font("Helvetica", "B", 8)
        for width, title in zip(widths, headers, strict=True):
            pdf.cell(width, 6, title, border="B", align="R" if title in ("Debit", "Credit", "Balance") else "L")
        pdf.ln()
        pdf.set_font("Helvetica", "", 8)

    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin1(getattr(settings, "BANK_NAME", "Core Bank")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, "Account statement", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    address = next(iter(customer.addresses.all()), None)
    holder = [customer.display_name, f"Customer {customer.number}"]
    if address is not None:
        holder += [address.line1, f"{address.postal_code} {address.city}".strip(), address.country]
    for text in holder:
        pdf.cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, _latin1(f"IBAN {account.iban}   {account.product.name}   {statement.currency}"),
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, f"Period {statement.date_from.isoformat()} to {statement.date_to.isoformat()}   "
                   f"Opening balance {_money(statement.opening_balance)} {statement.currency}",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    table_header()
    for line in statement.lines:
        if pdf.will_page_break(5):
            pdf.add_page()
            table_header()
        description = line.description if not line.counterparty else f"{line.counterparty}: {line.description}"
        cells = [line.business_date.isoformat(), line.reference[:18], description[:45],
                 _money(line.debit) if line.debit else "", _money(line.credit) if line.credit else "",
                 _money(line.balance)]
        for i, (width, text) in enumerate(zip(widths, cells, strict=True)):
            pdf.cell(width, 5, _latin1(text), align="R" if i >= 3 else "L")
        pdf.ln()
    pdf.set_font("Helvetica", "B", 8)
    totals = ["", "", "Totals", _money(statement.total_debit), _money(statement.total_credit),
              _money(statement.closing_balance)]
    for i, (width, text) in enumerate(zip(widths, totals, strict=True)):
        pdf.cell(width, 6, text, border="T", align="R" if i >= 3 else "L")
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, f"Closing balance {_money(statement.closing_balance)} {statement.currency} on "
                   f"{statement.date_to.isoformat()}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, f"Generated {timezone.localtime(statement.generated_at):%Y-%m-%d %H:%M %Z}",
             new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
