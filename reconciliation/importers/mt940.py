"""SWIFT MT940 with the ``mt-940`` library.

* Bytes: UTF-8, else ISO 8859-2 (Latin-2: the Hungarian/Polish samples), else Latin-1.
* A file may hold several statements (one per ``:20:``): each is parsed on its own. A statement
  continued over several messages (``:60M:`` / ``:62M:`` intermediate balances, same account and
  statement number) is joined into one statement: opening of the first part, closing of the last.
* Banks with a non-standard ``:61:`` (ASN Bank puts the IBAN in the customer reference) are
  parsed with ``mt940.tags.StatementASNB`` when the standard tag cannot read the statement.
* Period: the closing balance date is the last day; the first day is the day after the opening
  balance date when the two differ (the opening balance is the previous statement's close), else
  the same day.
* A statement is "numbered" (its ``:20:`` / ``:28C:`` must be unique per external account) when
  ``:28C:`` has a non-zero digit; unnumbered ones (``0``, ``000``) rely on the period constraint.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from decimal import Decimal

import mt940 as mt940lib
from mt940.tags import StatementASNB

from .base import ImportRefused, LineError, ParsedLine, ParsedStatement, truncate

_SPLIT = re.compile(r"(?m)^(?=:20:)")
_EREF = re.compile(r"(?:EREF\+|/EREF/)([^?/\n]+)")
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}[A-Z0-9]{10,30})\b")


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "iso-8859-2"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _parse_chunk(chunk: str):
    library_log = logging.getLogger("mt940")
    level = library_log.level
    library_log.setLevel(logging.CRITICAL)  # the first attempt may fail by design (ASNB)
    try:
        transactions = mt940lib.models.Transactions()
        transactions.parse(chunk)
        return transactions
    except (RuntimeError, ValueError, KeyError, AttributeError):
        pass
    finally:
        library_log.setLevel(level)
    if True:
        transactions = mt940lib.models.Transactions(tags={StatementASNB.id: StatementASNB()})
        transactions.parse(chunk)
        return transactions


def _date(value) -> dt.date | None:
    return dt.date(value.year, value.month, value.day) if value else None


def _balance(data: dict, *names: str):
    for name in names:
        balance = data.get(name)
        if balance is not None:
            return balance
    return None


def _line(position: int, tr, currency: str) -> ParsedLine:
    d = tr.data
    amount = d["amount"]
    value_date = _date(d.get("date"))
    booking_date = _date(d.get("entry_date")) or value_date
    details = (d.get("transaction_details") or "").replace("\n", " ").strip()
    reference = (d.get("customer_reference") or "").strip().split("\n")[0].strip()
    if reference.upper() in {"NONREF", "NOTPROVIDED"}:
        reference = ""
    eref = _EREF.search(d.get("transaction_details") or "")
    if eref and eref.group(1).strip().upper() not in {"NOTPROVIDED", "NONREF"}:
        reference = eref.group(1).strip()
    iban = _IBAN.search(d.get("transaction_details") or "")
    return ParsedLine(
        position=position, booking_date=booking_date, value_date=value_date, amount=Decimal(amount.amount),
        currency=amount.currency or currency, reference=truncate(reference, 140),
        bank_reference=truncate(d.get("bank_reference"), 140),
        counterparty_name=truncate(d.get("applicant_name") or d.get("counterparty_name"), 200),
        counterparty_iban=truncate(d.get("applicant_iban") or (iban.group(1) if iban else ""), 64),
        description=truncate(details or d.get("extra_details"), 4000),
        details={k: str(v) for k, v in {"type": d.get("id"), "status": d.get("status"),
                                        "extra_details": (d.get("extra_details") or "").strip(),
                                        "customer_reference": (d.get("customer_reference") or "").strip()}.items()
                 if v},
    )


def parse(data: bytes, *, external_account=None) -> list[ParsedStatement]:
    text = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    chunks = [c for c in _SPLIT.split(text) if c.startswith(":20:")]
    if not chunks:
        raise ImportRefused("no MT940 statement (:20:) in the file", "unreadable_file")
    statements: list[ParsedStatement] = []
    errors_without_statement: list[LineError] = []
    open_part: ParsedStatement | None = None
    for index, chunk in enumerate(chunks, start=1):
        try:
            tr = _parse_chunk(chunk)
        except Exception as error:  # noqa: BLE001 - reported with the statement's position
            errors_without_statement.append(LineError(position=index, reason=f"statement {index}: {error}",
                                                      raw=chunk[:500]))
            continue
        d = tr.data
        opening = _balance(d, "final_opening_balance", "intermediate_opening_balance")
        closing = _balance(d, "final_closing_balance", "intermediate_closing_balance")
        currency = (closing or opening).amount.currency if (closing or opening) else ""
        number = str(d.get("statement_number") or "").strip()
        seq = str(d.get("sequence_number") or "").strip()
        account = str(d.get("account_identification") or "").strip()
        lines = []
        for tr_index, transaction in enumerate(tr.transactions):
            try:
                lines.append(_line(tr_index, transaction, currency))
            except Exception as error:  # noqa: BLE001
                errors_without_statement.append(LineError(position=tr_index + 1, reason=str(error)))
        continuing = (open_part is not None and open_part.account_identifier == account
                      and open_part.details_number == number and d.get("final_opening_balance") is None)
        if continuing:
            part = open_part
            base = len(part.lines)
            for line in lines:
                line.position += base
            part.lines.extend(lines)
            if closing is not None:
                part.closing_balance = Decimal(closing.amount.amount)
                part.period_to = _date(closing.date)
        else:
            open_date, close_date = _date(opening.date) if opening else None, _date(closing.date) if closing else None
            start = open_date + dt.timedelta(days=1) if open_date and close_date and open_date < close_date \
                else open_date
            part = ParsedStatement(
                account_identifier=account, currency=currency, statement_id=str(d.get("transaction_reference") or ""),
                sequence=f"{number}/{seq}" if seq else number, period_from=start, period_to=close_date,
                opening_balance=Decimal(opening.amount.amount) if opening else Decimal(0),
                closing_balance=Decimal(closing.amount.amount) if closing else Decimal(0),
                lines=lines, numbered=bool(re.search(r"[1-9]", number)),
            )
            part.details_number = number
            if opening is None or closing is None:
                part.errors.append(LineError(position=0, reason="missing opening or closing balance"))
            statements.append(part)
        for position, line in enumerate(part.lines, start=1):
            line.position = position
        # A part closed by an intermediate balance waits for its continuation.
        open_part = part if d.get("final_closing_balance") is None else None
    if not statements:
        raise ImportRefused("; ".join(e.reason for e in errors_without_statement) or "no statement could be read",
                            "unreadable_file")
    statements[0].errors[:0] = errors_without_statement
    for statement in statements:
        statement.resolve_period()
    return statements
