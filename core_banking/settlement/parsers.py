"""Reading the files that come back: pain.002 (payment status report) and camt.054 (debit/credit
notification). Parsed with lxml, hardened (no entities, no network); elements are found by local
name, so any version of the two messages (pain.002.001.03/.10, camt.054.001.02/.08) reads the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

from . import exceptions as exc

ACCEPTED = {"ACCP", "ACSC", "ACSP", "ACTC", "ACWC", "ACCC"}
REJECTED = {"RJCT"}

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)


def _root(data: bytes):
    try:
        return etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as error:
        raise exc.SettlementFileInvalid(f"not well-formed XML: {error}") from error


def _local(element) -> str:
    return etree.QName(element).localname


def _first(element, *path: str):
    """The first descendant along ``path`` (local names), or None."""
    current = [element]
    for name in path:
        current = [c for e in current for c in e.iter() if c is not e and _local(c) == name][:1]
        if not current:
            return None
    return current[0]


def _text(element, *path: str) -> str:
    found = _first(element, *path) if path else element
    return (found.text or "").strip() if found is not None else ""


def _children(element, name: str) -> list:
    return [c for c in element.iter() if c is not element and _local(c) == name]


def kind_of(data: bytes) -> str:
    """``pain.002`` or ``camt.054``, from the document's message element."""
    root = _root(data)
    message = root[0] if _local(root) == "Document" and len(root) else root
    name = _local(message)
    if name == "CstmrPmtStsRpt":
        return "pain.002"
    if name == "BkToCstmrDbtCdtNtfctn":
        return "camt.054"
    raise exc.SettlementFileInvalid(f"{name} is neither a pain.002 status report nor a camt.054 notification")


@dataclass(frozen=True)
class TransactionStatus:
    end_to_end_id: str
    status: str
    reason_code: str = ""
    reason: str = ""


@dataclass
class StatusReport:
    message_id: str
    original_message_id: str
    group_status: str
    transactions: list[TransactionStatus] = field(default_factory=list)


def parse_pain002(data: bytes) -> StatusReport:
    root = _root(data)
    group = _first(root, "OrgnlGrpInfAndSts")
    if group is None:
        raise exc.SettlementFileInvalid("a pain.002 without OrgnlGrpInfAndSts")
    report = StatusReport(message_id=_text(root, "GrpHdr", "MsgId"),
                          original_message_id=_text(group, "OrgnlMsgId"), group_status=_text(group, "GrpSts"))
    for tx in _children(root, "TxInfAndSts"):
        report.transactions.append(TransactionStatus(
            end_to_end_id=_text(tx, "OrgnlEndToEndId"), status=_text(tx, "TxSts"),
            reason_code=_text(tx, "StsRsnInf", "Rsn", "Cd"), reason=_text(tx, "StsRsnInf", "AddtlInf")))
    if not report.original_message_id:
        raise exc.SettlementFileInvalid("a pain.002 without the original message id (OrgnlMsgId)")
    return report


@dataclass(frozen=True)
class Movement:
    """One transaction of a camt.054 entry."""

    direction: str  # CRDT (money in) or DBIT (money out)
    amount: Decimal
    currency: str
    end_to_end_id: str
    reference: str  # the account servicer's reference: what makes a credit unique
    creditor_iban: str
    creditor_name: str
    debtor_iban: str
    debtor_name: str
    debtor_bic: str
    remittance_info: str
    return_reason: str  # a returned transfer's reason code (RtrInf), if any


@dataclass
class Notification:
    message_id: str
    movements: list[Movement] = field(default_factory=list)


def _amount(element) -> tuple[Decimal, str]:
    if element is None:
        raise exc.SettlementFileInvalid("a camt.054 entry without an amount")
    try:
        return Decimal((element.text or "").strip()), element.get("Ccy", "")
    except InvalidOperation as error:
        raise exc.SettlementFileInvalid(f"{element.text!r} is not an amount") from error


def parse_camt054(data: bytes) -> Notification:
    root = _root(data)
    notification = Notification(message_id=_text(root, "GrpHdr", "MsgId"))
    for entry in _children(root, "Ntry"):
        direction = _text(entry, "CdtDbtInd")
        details = _children(entry, "TxDtls") or [entry]
        for tx in details:
            amount_element = None if tx is entry else _first(tx, "AmtDtls", "TxAmt", "Amt")
            if amount_element is None:
                amount_element = next((c for c in tx if _local(c) == "Amt"), None)
            if amount_element is None:
                amount_element = next((c for c in entry if _local(c) == "Amt"), None)
            amount, currency = _amount(amount_element)
            parties = _first(tx, "RltdPties")
            agents = _first(tx, "RltdAgts")
            notification.movements.append(Movement(
                direction=_text(tx, "CdtDbtInd") or direction, amount=amount, currency=currency,
                end_to_end_id=_text(tx, "Refs", "EndToEndId"),
                reference=_text(tx, "Refs", "AcctSvcrRef") or _text(entry, "AcctSvcrRef"),
                creditor_iban=_text(parties, "CdtrAcct", "IBAN") if parties is not None else "",
                creditor_name=_text(parties, "Cdtr", "Nm") if parties is not None else "",
                debtor_iban=_text(parties, "DbtrAcct", "IBAN") if parties is not None else "",
                debtor_name=_text(parties, "Dbtr", "Nm") if parties is not None else "",
                debtor_bic=(_text(agents, "DbtrAgt", "BICFI") or _text(agents, "DbtrAgt", "BIC"))
                if agents is not None else "",
                remittance_info=_text(tx, "RmtInf", "Ustrd"),
                return_reason=_text(tx, "RtrInf", "Rsn", "Cd")))
    return notification
