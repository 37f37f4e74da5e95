"""Demo reconciliation for ``manage.py seed_demo`` (``DEMO_DATA_LOADERS``, after the settlement
demo): the bank's two accounts at other banks, their statements and what matches.

* **The SEPA settlement account at De Nederlandsche Bank** (TARGET2; the IBAN the pain.001 files
  name as debtor account, ``core_banking.settlement.pain001.bank_iban``), mirrored by the
  settlement booking account in EUR (``2200-SCT-EUR``). Its camt.053 is written here from the
  demo's own settlement activity, one statement per closed business date: each batch the
  settlement demo sent is one debit entry with a ``TxDtls`` per payment (end-to-end id,
  creditor, amount), each incoming EUR transfer one credit (end-to-end id when the payer gave
  one), and on the last business date of each month the month's clearing fees (a bank charge
  the ledger does not have yet). The statement starts from the bank's position at
  the clearing before the demo's first day (``OPENING_POSITION``).
* **The client money account at ING** (safeguarding), mirrored by ``1150-SAFE-EUR``: the bank
  places its EUR client money there, rounded up to the next ``SAFEGUARD_ROUNDING`` (a ledger
  transfer from the central bank reserve account ``1100-EUR``, value-dated the last closed
  business date), and the bank's statement of that date shows it.

Both files go through the real importer (``services.statement_import``: stored, parsed, checked,
auto-matched by ``matching.automatch``), then the end of day's own reconciliation work runs as
its steps would: ``services.breaks_detect`` as of the open business date (items unmatched for
more than ``RECONCILIATION_BREAK_AGE_DAYS``) and ``services.safeguarding_check`` for the last
closed business date. What stays open is real: the clearing fees nobody booked, and the payment
the payments demo returned before it was ever sent (booked out and back in the ledger, never
seen by the clearing): breaks on the breaks board once older than the break age, unmatched lines
and postings in the workspace before that. Idempotent: when the settlement account's external
account exists it only reports.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from lxml import etree

from core_banking.common.money import quantize
from core_banking.eod import calendar
from core_banking.ledger import services as ledger
from core_banking.ledger.models import AccountType, BusinessDay, LedgerAccount, Posting
from core_banking.ledger.selectors import business_date_current

from . import eod, services
from .models import Break, ExternalAccount, LineStatus, SafeguardingCheck, StatementLine

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
CLEARING_BIC = "FLORNL2A"  # De Nederlandsche Bank
SAFEGUARD_BIC = "INGBNL2A"
OPENING_POSITION = Decimal("2500000.00")
CLEARING_FEE = Decimal("0.35")  # per transaction of the month before
SAFEGUARD_ROUNDING = Decimal("10000")
FUNDING_KEY = "demo-reconciliation:safeguarding-funding"


def _amount(value: Decimal) -> str:
    return f"{abs(quantize(value, 2)):.2f}"


class _Camt053:
    """A camt.053.001.02 document built element by element (lxml): statements with their
    balances and entries, as a bank sends them."""

    def __init__(self, *, message_id: str) -> None:
        self.root = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
        self.body = self._sub(self.root, "BkToCstmrStmt")
        header = self._sub(self.body, "GrpHdr")
        self._sub(header, "MsgId", message_id)
        self._sub(header, "CreDtTm", timezone.localtime().replace(microsecond=0).isoformat())

    def _sub(self, parent, tag: str, text: str | None = None, **attributes):
        element = etree.SubElement(parent, f"{{{NS}}}{tag}", **attributes)
        if text is not None:
            element.text = text
        return element

    def _path(self, parent, path: str, text: str | None = None, **attributes):
        *steps, last = path.split("/")
        for step in steps:
            parent = self._sub(parent, step)
        return self._sub(parent, last, text, **attributes)

    def _balance(self, stmt, code: str, amount: Decimal, day: dt.date, currency: str) -> None:
        balance = self._sub(stmt, "Bal")
        self._path(balance, "Tp/CdOrPrtry/Cd", code)
        self._sub(balance, "Amt", _amount(amount), Ccy=currency)
        self._sub(balance, "CdtDbtInd", "CRDT" if amount >= 0 else "DBIT")
        self._path(balance, "Dt/Dt", day.isoformat())

    def statement(self, *, statement_id: str, sequence: int, iban: str, bic: str, currency: str, day: dt.date,
                  opening: Decimal, entries: list[dict]) -> Decimal:
        """One day's statement; returns its closing balance."""
        stmt = self._sub(self.body, "Stmt")
        self._sub(stmt, "Id", statement_id)
        self._sub(stmt, "ElctrncSeqNb", str(sequence))
        self._sub(stmt, "CreDtTm", timezone.localtime().replace(microsecond=0).isoformat())
        period = self._sub(stmt, "FrToDt")
        self._sub(period, "FrDtTm", f"{day.isoformat()}T00:00:00")
        self._sub(period, "ToDtTm", f"{day.isoformat()}T23:59:59")
        account = self._sub(stmt, "Acct")
        self._path(account, "Id/IBAN", iban)
        self._sub(account, "Ccy", currency)
        self._path(account, "Svcr/FinInstnId/BIC", bic)
        closing = opening + sum((entry["amount"] for entry in entries), Decimal(0))
        self._balance(stmt, "OPBD", opening, calendar.previous_business_day(day), currency)
        self._balance(stmt, "CLBD", closing, day, currency)
        for entry in entries:
            self._entry(stmt, entry, day, currency)
        return closing

    def _entry(self, stmt, entry: dict, day: dt.date, currency: str) -> None:
        credit = entry["amount"] >= 0
        node = self._sub(stmt, "Ntry")
        self._sub(node, "Amt", _amount(entry["amount"]), Ccy=currency)
        self._sub(node, "CdtDbtInd", "CRDT" if credit else "DBIT")
        self._sub(node, "Sts", "BOOK")
        self._path(node, "BookgDt/Dt", day.isoformat())
        self._path(node, "ValDt/Dt", entry.get("value_date", day).isoformat())
        self._sub(node, "AcctSvcrRef", entry["bank_reference"])
        family = self._path(node, "BkTxCd/Domn/Cd", entry.get("domain", "PMNT")).getparent()
        fmly = self._sub(family, "Fmly")
        self._sub(fmly, "Cd", entry.get("family", "RCDT" if credit else "ICDT"))
        self._sub(fmly, "SubFmlyCd", entry.get("sub_family", "ESCT"))
        if entry.get("info"):
            self._sub(node, "AddtlNtryInf", entry["info"])
        transactions = entry.get("transactions", [])
        if not transactions:
            return
        details = self._sub(node, "NtryDtls")
        if len(transactions) > 1:
            batch = self._sub(details, "Btch")
            self._sub(batch, "NbOfTxs", str(len(transactions)))
        party = "Dbtr" if credit else "Cdtr"
        for tx in transactions:
            tx_node = self._sub(details, "TxDtls")
            refs = self._sub(tx_node, "Refs")
            if entry.get("message_id"):
                self._sub(refs, "MsgId", entry["message_id"])
            self._sub(refs, "EndToEndId", tx["end_to_end_id"] or "NOTPROVIDED")
            self._path(tx_node, "AmtDtls/TxAmt/Amt", _amount(tx["amount"]), Ccy=currency)
            parties = self._sub(tx_node, "RltdPties")
            self._path(parties, f"{party}/Nm", tx["name"] or "Unknown")
            if tx["iban"]:
                self._path(parties, f"{party}Acct/Id/IBAN", tx["iban"])
            if tx["remittance"]:
                self._path(tx_node, "RmtInf/Ustrd", tx["remittance"])

    def bytes(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _ledger_account(code: str, name: str, parent_code: str) -> LedgerAccount:
    return LedgerAccount.objects.filter(code=code).first() or ledger.ledger_account_create(
        code=code, name=name, type=AccountType.ASSET, currency="EUR",
        parent=LedgerAccount.objects.filter(code=parent_code).first())


def _clearing_entries(days: list[dt.date]) -> dict[dt.date, list[dict]]:
    """What the clearing booked on our settlement account, per business date."""
    from core_banking.payments.models import Payment
    from core_banking.settlement.models import Batch, BatchItem

    entries: dict[dt.date, list[dict]] = defaultdict(list)
    first, last = days[0], days[-1]
    sent_states = [Batch.Status.SENT, Batch.Status.COMPLETED]
    batches = (Batch.objects.filter(currency_id="EUR", business_date__range=(first, last), status__in=sent_states)
               .order_by("business_date", "pk"))
    items = defaultdict(list)
    for item in BatchItem.objects.filter(batch__in=batches).exclude(state=BatchItem.State.RELEASED).order_by("pk"):
        items[item.batch_id].append(item)
    for batch in batches:
        sent = items[batch.pk]
        if not sent:
            continue
        entries[batch.business_date].append({
            "amount": -sum((item.amount for item in sent), Decimal(0)), "bank_reference": f"T2-{batch.message_id}",
            "message_id": batch.message_id, "info": f"SEPA credit transfers, file {batch.message_id}",
            "transactions": [{"end_to_end_id": item.end_to_end_id, "amount": item.amount,
                              "name": item.creditor_name, "iban": item.creditor_iban,
                              "remittance": item.remittance_info} for item in sent]})
    incoming = (Payment.objects.filter(kind=Payment.Kind.INCOMING, currency_id="EUR",
                                       business_date__range=(first, last))
                .exclude(entry__isnull=True).order_by("business_date", "pk"))
    for payment in incoming:
        entries[payment.business_date].append({
            "amount": payment.amount, "bank_reference": f"T2-IN-{payment.pk:08d}",
            "transactions": [{"end_to_end_id": payment.end_to_end_id, "amount": payment.amount,
                              "name": payment.counterparty_name, "iban": payment.counterparty_iban,
                              "remittance": payment.remittance_info}]})
    # The clearing fees of each month, charged on its last business date.
    per_month: dict[tuple[int, int], int] = defaultdict(int)
    for day in days:
        per_month[(day.year, day.month)] += sum(len(e["transactions"]) for e in entries[day])
    for day in days:
        if calendar.next_business_day(day).month != day.month and per_month[(day.year, day.month)]:
            count = per_month[(day.year, day.month)]
            entries[day].append({"amount": -(CLEARING_FEE * count), "bank_reference": f"T2-FEE-{day:%Y%m}",
                                 "domain": "ACMT", "family": "MDOP", "sub_family": "CHRG",
                                 "info": f"TARGET2 and clearing fees {day:%B %Y}: {count} transactions"})
    return entries


def _clearing_statement(account: ExternalAccount, days: list[dt.date]) -> bytes:
    document = _Camt053(message_id=f"DNB-{days[-1]:%Y%m%d}-{account.account_identifier[-6:]}")
    entries = _clearing_entries(days)
    balance = OPENING_POSITION
    for sequence, day in enumerate(days, start=1):
        balance = document.statement(statement_id=f"DNB-{account.account_identifier}-{day:%Y%m%d}",
                                     sequence=sequence, iban=account.account_identifier, bic=CLEARING_BIC,
                                     currency="EUR", day=day, opening=balance, entries=entries[day])
    return document.bytes()


def _client_money(day: dt.date, currency: str = "EUR") -> Decimal:
    """Owed to customers at the close of ``day`` (as ``services.safeguarding_check`` counts it)."""
    from core_banking.accounts.models import Account

    ledger_ids = Account.objects.filter(currency_id=currency).values("ledger_account_id")
    total = Posting.objects.filter(account_id__in=ledger_ids, business_date__lte=day).aggregate(t=Sum("amount"))["t"]
    return -(total or Decimal(0))


def _safeguarding(account: ExternalAccount, day: dt.date) -> bytes:
    """Place the client money of ``day`` (rounded up) with the safeguarding bank, in the ledger
    and on the bank's statement of that day."""
    owed = _client_money(day)
    placed = max(SAFEGUARD_ROUNDING, (owed / SAFEGUARD_ROUNDING).to_integral_value(ROUND_CEILING) * SAFEGUARD_ROUNDING)
    reserve = _ledger_account("1100-EUR", "Central bank reserve account", "1100")
    reference = f"SAFEGUARD-{day:%Y%m%d}"
    ledger.entry_post(postings=[{"account_id": account.ledger_account_id, "amount": str(placed)},
                                {"account_id": reserve.pk, "amount": str(-placed)}],
                      idempotency_key=FUNDING_KEY, external_ref=reference, value_date=day,
                      description=f"Client money placed in safeguarding (owed {quantize(owed, 2)} EUR)")
    document = _Camt053(message_id=f"ING-{day:%Y%m%d}-{account.account_identifier[-6:]}")
    document.statement(statement_id=f"ING-{account.account_identifier}-{day:%Y%m%d}", sequence=1,
                       iban=account.account_identifier, bic=SAFEGUARD_BIC, currency="EUR", day=day,
                       opening=Decimal(0), entries=[{
                           "amount": placed, "bank_reference": f"ING-{day:%Y%m%d}-1", "family": "RCDT",
                           "transactions": [{"end_to_end_id": reference, "amount": placed, "name": settings.BANK_NAME,
                                             "iban": "", "remittance": "Client money"}]}])
    return document.bytes()


def _accounts() -> tuple[ExternalAccount, ExternalAccount]:
    from schwifty import IBAN

    from core_banking.payments.models import BookingAccount
    from core_banking.settlement.pain001 import bank_iban

    settlement = BookingAccount.objects.get(purpose=BookingAccount.Purpose.SETTLEMENT, currency_id="EUR")
    clearing = ExternalAccount.objects.create(
        name="SEPA settlement account, De Nederlandsche Bank (TARGET2)", bank_bic=CLEARING_BIC,
        account_identifier=bank_iban(), currency_id="EUR", purpose=ExternalAccount.Purpose.NOSTRO,
        ledger_account=settlement.ledger_account)
    safeguarding = ExternalAccount.objects.create(
        name="Client money account, ING (safeguarding)", bank_bic=SAFEGUARD_BIC,
        account_identifier=IBAN.generate("NL", bank_code="INGB", account_code="6672330191").compact,
        currency_id="EUR", purpose=ExternalAccount.Purpose.SAFEGUARDING,
        ledger_account=_ledger_account("1150-SAFE-EUR", "Safeguarding account EUR (client money at ING)", "1100"))
    return clearing, safeguarding


def _report(stdout, prefix: str) -> None:
    lines = StatementLine.objects.count()
    matched = StatementLine.objects.filter(status=LineStatus.MATCHED).count()
    breaks = Break.objects.filter(status__in=services.OPEN_BREAK_STATES).count()
    checks = ", ".join(f"{c.currency_id} {c.date}: {c.get_outcome_display().lower()}"
                       for c in SafeguardingCheck.objects.order_by("-date", "currency_id")[:1])
    stdout.write(f"Reconciliation demo: {prefix}{ExternalAccount.objects.count()} external accounts, "
                 f"{lines} statement lines ({matched} matched), {breaks} open breaks; safeguarding {checks or 'none'}.")


def load_demo(*, stdout) -> None:
    from core_banking.payments.models import BookingAccount
    from core_banking.settlement.pain001 import bank_iban

    if ExternalAccount.objects.filter(account_identifier=bank_iban(), currency_id="EUR").exists():
        _report(stdout, "already loaded, ")
        return
    days = [d for d in BusinessDay.objects.filter(closed_at__isnull=False).order_by("date")
            .values_list("date", flat=True) if calendar.is_business_day(d)]
    if not days or not BookingAccount.objects.filter(purpose=BookingAccount.Purpose.SETTLEMENT,
                                                     currency_id="EUR").exists():
        stdout.write("Reconciliation demo: no closed business date with settlement activity yet; nothing loaded.")
        return
    with transaction.atomic():
        clearing, safeguarding = _accounts()
        name = f"camt053_{clearing.account_identifier}_{days[0]:%Y%m%d}-{days[-1]:%Y%m%d}.xml"
        services.statement_import(external_account=clearing, format="camt053", actor=None,
                                  file=ContentFile(_clearing_statement(clearing, days), name=name))
        name = f"camt053_{safeguarding.account_identifier}_{days[-1]:%Y%m%d}.xml"
        services.statement_import(external_account=safeguarding, format="camt053", actor=None,
                                  file=ContentFile(_safeguarding(safeguarding, days[-1]), name=name))
        services.breaks_detect(as_of=business_date_current(), older_than_days=eod._break_age_days())
        services.safeguarding_check(date=days[-1])
    _report(stdout, "")
