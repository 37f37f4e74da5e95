"""camt.053 (ISO 20022 bank-to-customer statement), versions 001.02 to 001.08 and national
variants (the Austrian STUZZA namespace ``ISO:camt.053.001.02:APC:STUZZA:payments:003``): read
with lxml and namespace-agnostic XPath (``local-name()``), so any namespace URI works.

Lines: one per ``Ntry``; a batch entry (several ``TxDtls``) becomes one line per ``TxDtls``
when every detail carries its own amount and the details add up to the entry amount (so the
balance check and the matcher see the individual payments); otherwise it stays one line with
the details kept in ``details["transactions"]``. Only booked entries are lines (``Sts`` BOOK,
or no status); pending / information entries are reported, not loaded.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from lxml import etree

from .base import ImportRefused, LineError, ParsedLine, ParsedStatement, truncate


def _path(path: str) -> str:
    steps = []
    for step in path.split("/"):
        if step == "":
            steps.append("")
        elif step in {".", ".."} or step.startswith("@"):
            steps.append(step)
        else:
            steps.append(f"*[local-name()='{step}']")
    return "/".join(steps)


def _text(node, *paths: str) -> str:
    for path in paths:
        value = node.xpath(f"string({_path(path)})")
        if value and value.strip():
            return value.strip()
    return ""


def _nodes(node, path: str):
    return node.xpath(_path(path))


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text[:10]) if text else None


def _signed(amount: str, indicator: str) -> Decimal:
    value = Decimal(amount)
    return -value if indicator == "DBIT" else value


def _balances(stmt) -> dict[str, tuple[Decimal, dt.date | None, str]]:
    out = {}
    for bal in _nodes(stmt, "Bal"):
        code = _text(bal, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
        if code and code not in out:
            amount = _signed(_text(bal, "Amt"), _text(bal, "CdtDbtInd"))
            ccy = bal.xpath(f"string({_path('Amt')}/@Ccy)")
            out[code] = (amount, _date(_text(bal, "Dt/Dt", "Dt/DtTm")), ccy)
    return out


def _tx_amount(tx) -> tuple[Decimal | None, str]:
    for path in ("AmtDtls/TxAmt/Amt", "Amt", "AmtDtls/InstdAmt/Amt"):
        nodes = _nodes(tx, path)
        if nodes and (nodes[0].text or "").strip():
            return Decimal(nodes[0].text.strip()), nodes[0].get("Ccy", "")
    return None, ""


def _tx_fields(tx, credit: bool) -> dict:
    e2e = _text(tx, "Refs/EndToEndId")
    if e2e.upper() == "NOTPROVIDED":
        e2e = ""
    party = "Dbtr" if credit else "Cdtr"
    return {
        "reference": e2e or _text(tx, "RmtInf/Strd/CdtrRefInf/Ref", "Refs/InstrId", "Refs/PmtInfId"),
        "bank_reference": _text(tx, "Refs/AcctSvcrRef", "Refs/TxId"),
        "counterparty_name": _text(tx, f"RltdPties/{party}/Nm", f"RltdPties/{party}/Pty/Nm"),
        "counterparty_iban": _text(tx, f"RltdPties/{party}Acct/Id/IBAN", f"RltdPties/{party}Acct/Id/Othr/Id"),
        "description": " ".join(t.strip() for t in tx.xpath(_path(".//RmtInf/Ustrd") + "/text()") if t.strip())
        or _text(tx, "AddtlTxInf"),
        "details": {k: v for k, v in {
            "end_to_end_id": e2e, "instruction_id": _text(tx, "Refs/InstrId"),
            "payment_information_id": _text(tx, "Refs/PmtInfId"), "mandate_id": _text(tx, "Refs/MndtId"),
            "creditor_reference": _text(tx, "RmtInf/Strd/CdtrRefInf/Ref"),
            "bank_transaction_code": _text(tx, "BkTxCd/Domn/Cd") + "/" + _text(tx, "BkTxCd/Domn/Fmly/Cd")
            + "/" + _text(tx, "BkTxCd/Domn/Fmly/SubFmlyCd") if _text(tx, "BkTxCd/Domn/Cd") else "",
            "return_reason": _text(tx, "RtrInf/Rsn/Cd"),
        }.items() if v},
    }


def _entry_lines(entry, position: int, stmt_ccy: str) -> list[ParsedLine]:
    amount_node = _nodes(entry, "Amt")[0]
    indicator = _text(entry, "CdtDbtInd")
    if indicator not in {"CRDT", "DBIT"}:
        raise ValueError(f"CdtDbtInd {indicator!r} is neither CRDT nor DBIT")
    credit = indicator == "CRDT"
    amount = _signed(amount_node.text.strip(), indicator)
    ccy = amount_node.get("Ccy") or stmt_ccy
    booking = _date(_text(entry, "BookgDt/Dt", "BookgDt/DtTm"))
    value = _date(_text(entry, "ValDt/Dt", "ValDt/DtTm")) or booking
    booking = booking or value
    if booking is None:
        raise ValueError("the entry has neither a booking nor a value date")
    common = {"booking_date": booking, "value_date": value, "currency": ccy}
    entry_ref = _text(entry, "NtryRef")
    entry_bank_ref = _text(entry, "AcctSvcrRef")
    entry_info = _text(entry, "AddtlNtryInf")
    txs = _nodes(entry, "NtryDtls/TxDtls")
    reversal = _text(entry, "RvslInd").lower() == "true"
    base_details = {k: v for k, v in {"entry_reference": entry_ref, "reversal": reversal or None}.items() if v}
    amounts = [_tx_amount(tx)[0] for tx in txs]
    if len(txs) > 1 and all(a is not None for a in amounts) and sum(amounts) == abs(amount):
        lines = []
        for index, (tx, tx_amount) in enumerate(zip(txs, amounts, strict=True)):
            tx_indicator = _text(tx, "CdtDbtInd") or indicator
            fields = _tx_fields(tx, tx_indicator == "CRDT")
            fields["bank_reference"] = fields["bank_reference"] or entry_bank_ref
            fields["description"] = truncate(fields["description"] or entry_info, 2000)
            fields["details"] = {**base_details, **fields["details"], "batch_index": index, "batch_size": len(txs),
                                 "batch_amount": str(amount)}
            signed = tx_amount if indicator == "CRDT" else -tx_amount
            lines.append(ParsedLine(position=position + index, amount=signed, **common, **_clip(fields)))
        return lines
    fields = _tx_fields(txs[0], credit) if len(txs) == 1 else {
        "reference": "", "bank_reference": "", "counterparty_name": "", "counterparty_iban": "", "description": "",
        "details": {}}
    fields["bank_reference"] = fields["bank_reference"] or entry_bank_ref
    fields["reference"] = fields["reference"] or ("" if len(txs) > 1 else entry_ref)
    fields["description"] = fields["description"] or entry_info
    details = {**base_details, **fields["details"]}
    if len(txs) > 1:
        details["transactions"] = [
            {**_tx_fields(tx, credit), "amount": str(a) if a is not None else None} for tx, a in zip(txs, amounts,
                                                                                                       strict=True)]
        for tx in details["transactions"]:
            tx.pop("details", None)
    fields["details"] = details
    return [ParsedLine(position=position, amount=amount, **common, **_clip(fields))]


def _clip(fields: dict) -> dict:
    limits = {"reference": 140, "bank_reference": 140, "counterparty_name": 200, "counterparty_iban": 64,
              "description": 4000}
    return {k: truncate(v, limits[k]) if k in limits else v for k, v in fields.items()}


def parse(data: bytes, *, external_account=None) -> list[ParsedStatement]:
    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as error:
        raise ImportRefused(f"not well-formed XML: {error}", "unreadable_file") from error
    statements = root.xpath("//*[local-name()='BkToCstmrStmt']/*[local-name()='Stmt']")
    if not statements:
        raise ImportRefused("no camt.053 statement (BkToCstmrStmt/Stmt) in the file", "unreadable_file")
    out = []
    for stmt in statements:
        balances = _balances(stmt)
        opening = balances.get("OPBD") or balances.get("PRCD") or balances.get("ITBD")
        closing = balances.get("CLBD") or balances.get("ITBD")
        if opening is None or closing is None:
            raise ImportRefused(f"statement {_text(stmt, 'Id')}: no opening (OPBD/PRCD) or closing (CLBD) balance",
                                "statement_without_balances")
        ccy = _text(stmt, "Acct/Ccy") or closing[2] or opening[2]
        period_from = _date(_text(stmt, "FrToDt/FrDtTm", "FrToDt/FrDt"))
        period_to = _date(_text(stmt, "FrToDt/ToDtTm", "FrToDt/ToDt"))
        if period_from is None or period_to is None:
            start, end = opening[1], closing[1]
            if start and end and start < end:
                start = start + dt.timedelta(days=1)  # the opening balance is the previous day's close
            period_from, period_to = period_from or start, period_to or end
        parsed = ParsedStatement(
            account_identifier=_text(stmt, "Acct/Id/IBAN", "Acct/Id/Othr/Id"), currency=ccy,
            statement_id=_text(stmt, "Id"), sequence=_text(stmt, "ElctrncSeqNb", "LglSeqNb"),
            period_from=period_from, period_to=period_to, opening_balance=opening[0], closing_balance=closing[0],
        )
        position = 1
        for index, entry in enumerate(_nodes(stmt, "Ntry"), start=1):
            status = _text(entry, "Sts/Cd", "Sts")
            if status and status not in {"BOOK"}:
                parsed.errors.append(LineError(position=index, reason=f"entry status {status}: not booked, not loaded"))
                continue
            try:
                lines = _entry_lines(entry, position, ccy)
            except (ValueError, InvalidOperation, IndexError, AttributeError) as error:
                parsed.errors.append(LineError(position=index, reason=f"entry {index}: {error}",
                                               raw=etree.tostring(entry, encoding="unicode")[:500]))
                continue
            for line in lines:
                line.details.setdefault("entry_index", index)
            parsed.lines.extend(lines)
            position += len(lines)
        parsed.resolve_period()
        out.append(parsed)
    return out
