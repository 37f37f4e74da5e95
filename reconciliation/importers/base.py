"""What every importer returns: parsed statements with their lines, and the lines it could not
read (position and reason), so that good lines load while bad ones are reported."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


class ImportRefused(Exception):
    """The file as a whole cannot be imported (unreadable, wrong format, duplicate, overlap ...)."""

    def __init__(self, message: str, code: str = "statement_refused"):
        super().__init__(message)
        self.code = code


@dataclass
class ParsedLine:
    position: int
    booking_date: dt.date
    value_date: dt.date
    amount: Decimal
    currency: str
    reference: str = ""
    bank_reference: str = ""
    counterparty_name: str = ""
    counterparty_iban: str = ""
    description: str = ""
    details: dict = field(default_factory=dict)


@dataclass
class LineError:
    position: int
    reason: str
    raw: str = ""


@dataclass
class ParsedStatement:
    account_identifier: str
    currency: str
    statement_id: str
    sequence: str
    period_from: dt.date | None
    period_to: dt.date | None
    opening_balance: Decimal
    closing_balance: Decimal
    lines: list[ParsedLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    numbered: bool = True  # whether (statement_id, sequence) identifies the statement

    @property
    def computed_closing(self) -> Decimal:
        return self.opening_balance + sum((line.amount for line in self.lines), Decimal(0))

    @property
    def statement_key(self) -> str:
        if not self.numbered or not (self.statement_id or self.sequence):
            return ""
        return f"{self.statement_id}/{self.sequence}"

    def resolve_period(self) -> None:
        """Fill a missing period from the line dates (a statement always has a period)."""
        dates = [line.booking_date for line in self.lines]
        if self.period_to is None:
            self.period_to = max(dates) if dates else self.period_from
        if self.period_from is None:
            self.period_from = min(dates) if dates else self.period_to
        if self.period_from is None:
            raise ImportRefused("the statement has no date at all (no balances, no lines)", "statement_undated")
        if self.period_from > self.period_to:
            self.period_from, self.period_to = self.period_to, self.period_from


def truncate(text, length: int) -> str:
    return (text or "").strip()[:length]
