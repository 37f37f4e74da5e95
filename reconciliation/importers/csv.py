"""CSV statements with a column mapping configured on the external account
(``ExternalAccount.csv_mapping``)::

    {"date": "Booking date", "value_date": "Value date", "amount": "Amount",
     "debit": "Debit", "credit": "Credit",            # instead of "amount": two unsigned columns
     "currency": "Currency", "reference": "End-to-end id", "bank_reference": "Bank ref",
     "counterparty_name": "Name", "counterparty_iban": "IBAN", "description": "Details",
     "balance": "Balance",                             # running balance after the line (optional)
     "decimal": ",", "thousands": ".", "delimiter": ";", "date_format": "%d.%m.%Y",
     "encoding": "utf-8", "negate": false}

Only ``date`` and ``amount`` (or ``debit``/``credit``) are required. A file is one statement whose
period is its first to last booking date. Balances: with a ``balance`` column, opening = first
balance - first amount and closing = the last balance (so the check is real); without one, the
opening is the previous statement's closing (0 for the first) and the closing is computed (the
report says so). A row that cannot be read is reported (file line number, reason) and skipped;
the good rows load.
"""

from __future__ import annotations

import csv as csvlib
import datetime as dt
import io
from decimal import Decimal, InvalidOperation

from .base import ImportRefused, LineError, ParsedLine, ParsedStatement, truncate

DEFAULT_MAPPING = {"date": "date", "amount": "amount", "reference": "reference", "description": "description",
                   "decimal": ".", "date_format": "%Y-%m-%d", "encoding": "utf-8-sig"}


def _amount(text: str, mapping: dict) -> Decimal:
    text = (text or "").strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        raise ValueError("empty amount")
    if mapping.get("thousands"):
        text = text.replace(mapping["thousands"], "")
    if mapping.get("decimal", ".") != ".":
        text = text.replace(mapping["decimal"], ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"amount {text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"amount {text!r} is not a number")
    return value


def _date(text: str, fmt: str) -> dt.date:
    text = (text or "").strip()
    if not text:
        raise ValueError("empty date")
    try:
        return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no instant
    except ValueError:
        raise ValueError(f"date {text!r} does not match {fmt}") from None


def parse(data: bytes, *, external_account=None) -> list[ParsedStatement]:
    mapping = {**DEFAULT_MAPPING, **((external_account.csv_mapping if external_account else None) or {})}
    try:
        text = data.decode(mapping.get("encoding") or "utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(f"the file is not {mapping.get('encoding')}: {error}", "unreadable_file") from error
    delimiter = mapping.get("delimiter")
    if not delimiter:
        try:
            delimiter = csvlib.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
        except csvlib.Error:
            delimiter = ","
    reader = csvlib.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = set(reader.fieldnames or [])
    needed = [mapping["date"]] + ([mapping["amount"]] if not (mapping.get("debit") or mapping.get("credit"))
                                  else [c for c in (mapping.get("debit"), mapping.get("credit")) if c])
    missing = [c for c in needed if c not in columns]
    if missing:
        raise ImportRefused(f"CSV columns missing: {', '.join(missing)} (the file has {sorted(columns)})",
                            "csv_columns_missing")
    currency = external_account.currency_id if external_account else ""
    lines, errors, balances = [], [], []
    fmt = mapping.get("date_format", "%Y-%m-%d")
    get = lambda row, key: (row.get(mapping[key]) or "").strip() if mapping.get(key) else ""  # noqa: E731
    for row in reader:
        number = reader.line_num
        try:
            if None in row:
                raise ValueError(f"{len(row[None])} more field(s) than the header")
            booking = _date(row.get(mapping["date"]), fmt)
            value_date = _date(get(row, "value_date"), fmt) if get(row, "value_date") else booking
            if mapping.get("debit") or mapping.get("credit"):
                debit = _amount(get(row, "debit"), mapping) if get(row, "debit") else Decimal(0)
                credit = _amount(get(row, "credit"), mapping) if get(row, "credit") else Decimal(0)
                amount = credit - abs(debit)
            else:
                amount = _amount(row.get(mapping["amount"]), mapping)
            if mapping.get("negate"):
                amount = -amount
            if amount == 0:
                raise ValueError("zero amount")
            row_currency = get(row, "currency") or currency
            if currency and row_currency != currency:
                raise ValueError(f"currency {row_currency} is not the account's {currency}")
            balance = _amount(get(row, "balance"), mapping) if mapping.get("balance") else None
        except ValueError as error:
            errors.append(LineError(position=number, reason=str(error),
                                    raw=delimiter.join(str(v) for v in row.values() if not isinstance(v, list))[:500]))
            continue
        lines.append(ParsedLine(
            position=len(lines) + 1, booking_date=booking, value_date=value_date, amount=amount,
            currency=row_currency, reference=truncate(get(row, "reference"), 140),
            bank_reference=truncate(get(row, "bank_reference"), 140),
            counterparty_name=truncate(get(row, "counterparty_name"), 200),
            counterparty_iban=truncate(get(row, "counterparty_iban"), 64),
            description=truncate(get(row, "description"), 4000), details={"csv_line": number}))
        if balance is not None:
            balances.append((amount, balance))
    if not lines and not errors:
        raise ImportRefused("the CSV file has no rows", "empty_statement")
    if balances and len(balances) == len(lines):
        opening, closing = balances[0][1] - balances[0][0], balances[-1][1]
    else:
        opening = None
        closing = None
    statement = ParsedStatement(
        account_identifier=external_account.account_identifier if external_account else "", currency=currency,
        statement_id="", sequence="", period_from=min((ln.booking_date for ln in lines), default=None),
        period_to=max((ln.booking_date for ln in lines), default=None), opening_balance=opening or Decimal(0),
        closing_balance=closing or Decimal(0), lines=lines, errors=errors, numbered=False)
    statement.balances_given = opening is not None
    if not lines:
        raise ImportRefused("no CSV row could be read: " + "; ".join(f"line {e.position}: {e.reason}"
                                                                     for e in errors[:20]), "no_readable_line")
    return [statement]
