"""Answer files for tests, built from a sent batch with lxml's element API (no XML strings):
a pain.002 status report (accepting all, rejecting some with a reason code) and a camt.054
notification (debits confirming sent items; credits arriving for IBANs)."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

PAIN002 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"
CAMT054 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"


def _sub(parent, ns: str, name: str, text: str | None = None, **attrs):
    element = etree.SubElement(parent, f"{{{ns}}}{name}", **attrs)
    if text is not None:
        element.text = text
    return element


def _path(parent, ns: str, *names: str, text: str):
    for name in names[:-1]:
        parent = _sub(parent, ns, name)
    return _sub(parent, ns, names[-1], text)


def pain002(batch, *, rejected: dict[str, str] | None = None, message_id: str = "STS-1",
            group_status: str | None = None) -> bytes:
    """A status report on ``batch``: every item accepted (ACSC) but ``rejected`` (end-to-end id ->
    reason code)."""
    rejected = rejected or {}
    ns = PAIN002
    document = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    report = _sub(document, ns, "CstmrPmtStsRpt")
    header = _sub(report, ns, "GrpHdr")
    _sub(header, ns, "MsgId", message_id)
    _sub(header, ns, "CreDtTm", "2026-12-07T09:00:00")
    group = _sub(report, ns, "OrgnlGrpInfAndSts")
    _sub(group, ns, "OrgnlMsgId", batch.message_id)
    _sub(group, ns, "OrgnlMsgNmId", "pain.001.001.03")
    _sub(group, ns, "GrpSts", group_status or ("PART" if rejected else "ACSC"))
    info = _sub(report, ns, "OrgnlPmtInfAndSts")
    _sub(info, ns, "OrgnlPmtInfId", "PMT")
    for item in batch.items.exclude(state="released").order_by("pk"):
        tx = _sub(info, ns, "TxInfAndSts")
        _sub(tx, ns, "OrgnlEndToEndId", item.end_to_end_id)
        if item.end_to_end_id in rejected:
            _sub(tx, ns, "TxSts", "RJCT")
            reason = _sub(tx, ns, "StsRsnInf")
            _path(reason, ns, "Rsn", "Cd", text=rejected[item.end_to_end_id])
        else:
            _sub(tx, ns, "TxSts", "ACSC")
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def camt054(movements: list[dict], *, message_id: str = "NTF-1") -> bytes:
    """A notification with one entry per movement: ``direction`` (CRDT/DBIT), ``amount``,
    ``currency``, ``e2e``, ``ref``, ``creditor_iban``, ``creditor_name``, ``debtor_iban``,
    ``debtor_name``, ``return_reason``."""
    ns = CAMT054
    document = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    body = _sub(document, ns, "BkToCstmrDbtCdtNtfctn")
    header = _sub(body, ns, "GrpHdr")
    _sub(header, ns, "MsgId", message_id)
    _sub(header, ns, "CreDtTm", "2026-12-07T09:00:00")
    notification = _sub(body, ns, "Ntfctn")
    _sub(notification, ns, "Id", message_id)
    _path(notification, ns, "Acct", "Id", "IBAN", text="NL00CBNK9999999999")
    for n, m in enumerate(movements):
        entry = _sub(notification, ns, "Ntry")
        _sub(entry, ns, "Amt", str(Decimal(m["amount"])), Ccy=m.get("currency", "EUR"))
        _sub(entry, ns, "CdtDbtInd", m["direction"])
        _path(entry, ns, "Sts", text="BOOK")
        _path(entry, ns, "BookgDt", "Dt", text="2026-12-07")
        _sub(entry, ns, "AcctSvcrRef", m.get("ref", f"{message_id}-{n}"))
        tx = _sub(_sub(entry, ns, "NtryDtls"), ns, "TxDtls")
        refs = _sub(tx, ns, "Refs")
        _sub(refs, ns, "AcctSvcrRef", m.get("ref", f"{message_id}-{n}"))
        _sub(refs, ns, "EndToEndId", m.get("e2e", "NOTPROVIDED"))
        _path(tx, ns, "AmtDtls", "TxAmt", "Amt", text=str(Decimal(m["amount"]))).set("Ccy", m.get("currency", "EUR"))
        parties = _sub(tx, ns, "RltdPties")
        _path(parties, ns, "Dbtr", "Nm", text=m.get("debtor_name", "Sender BV"))
        _path(parties, ns, "DbtrAcct", "Id", "IBAN", text=m.get("debtor_iban", "DE89370400440532013000"))
        _path(parties, ns, "Cdtr", "Nm", text=m.get("creditor_name", "Beneficiary"))
        _path(parties, ns, "CdtrAcct", "Id", "IBAN", text=m.get("creditor_iban", "NL91ABNA0417164300"))
        if m.get("remittance"):
            _path(tx, ns, "RmtInf", "Ustrd", text=m["remittance"])
        if m.get("return_reason"):
            _path(tx, ns, "RtrInf", "Rsn", "Cd", text=m["return_reason"])
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")
