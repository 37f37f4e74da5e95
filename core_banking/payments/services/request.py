"""A payment request, checked once: what ``payment_create`` and ``payment_preview`` act on.

``payment_request(...)`` takes the request's fields as typed keywords, normalizes them (the
amount to a ``Decimal`` that fits the currency, IBANs to their compact form, blanks stripped)
and checks them against each other; it returns the frozen ``PaymentRequest`` or raises
``invalid_payment`` / ``invalid_amount`` / ``invalid_iban`` / ``unknown_currency``. The API's
``PaymentInputSerializer.payment_request()`` builds it from the validated body; the services
take it as it is and do not check it again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from core_banking.accounts.services import iban_validate
from core_banking.audit.services import to_jsonable
from core_banking.common.money import check_fits, to_decimal
from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger.hashing import digest
from core_banking.ledger.selectors import currency_precheck

from .. import exceptions as exc
from ..models import Channel, FeeEvent, Payment

KIND_EVENT = {
    Payment.Kind.INTERNAL_TRANSFER: FeeEvent.INTERNAL_TRANSFER,
    Payment.Kind.OUTGOING: FeeEvent.OUTGOING_PAYMENT,
    Payment.Kind.INCOMING: FeeEvent.INCOMING_PAYMENT,
    Payment.Kind.CASH_DEPOSIT: FeeEvent.CASH_DEPOSIT,
    Payment.Kind.CASH_WITHDRAWAL: FeeEvent.CASH_WITHDRAWAL,
    Payment.Kind.FX_CONVERSION: FeeEvent.FX_CONVERSION,
}
DEBTOR_KINDS = {Payment.Kind.INTERNAL_TRANSFER, Payment.Kind.OUTGOING, Payment.Kind.CASH_WITHDRAWAL,
                Payment.Kind.FX_CONVERSION}
CREDITOR_KINDS = {Payment.Kind.INTERNAL_TRANSFER, Payment.Kind.INCOMING, Payment.Kind.CASH_DEPOSIT,
                  Payment.Kind.FX_CONVERSION}
EXTERNAL_KINDS = {Payment.Kind.OUTGOING, Payment.Kind.INCOMING}

Amount = Decimal | str | int


@dataclass(frozen=True, kw_only=True)
class PaymentRequest:
    """A checked request, the same for create and preview. Build it with ``payment_request``.
    Its fields (names and values) are the request's fingerprint: the payment's ``request_hash``."""

    kind: str
    amount: Decimal
    currency: str
    channel: str = Channel.API
    debtor_account_id: int | None = None
    creditor_account_id: int | None = None
    creditor_iban: str = ""
    counterparty_iban: str = ""
    counterparty_name: str = ""
    counterparty_bic: str = ""
    remittance_info: str = ""
    end_to_end_id: str = ""
    target_currency: str = ""
    quote_id: str = ""

    def fingerprint(self) -> str:
        # what dataclasses.asdict gives (its fields are flat), without its deep copy of each value
        return digest({name: to_jsonable(getattr(self, name)) for name in _REQUEST_FIELDS})


_REQUEST_FIELDS = tuple(f.name for f in dataclasses.fields(PaymentRequest))
_KINDS = frozenset(Payment.Kind.values)
_CHANNELS = frozenset(Channel.values)


def payment_request(
    *,
    kind: str,
    amount: Amount | None,
    currency: str,
    channel: str = "",
    debtor_account_id: int | None = None,
    creditor_account_id: int | None = None,
    creditor_iban: str = "",
    counterparty_iban: str = "",
    counterparty_name: str = "",
    counterparty_bic: str = "",
    remittance_info: str = "",
    end_to_end_id: str = "",
    target_currency: str = "",
    quote_id: str = "",
) -> PaymentRequest:
    """Build and check a request; the first refusal wins (``channel`` defaults to ``api``)."""
    if kind not in _KINDS:
        raise exc.InvalidPayment(f"unknown payment kind {kind!r}", field="kind")
    channel = channel or Channel.API
    if channel not in _CHANNELS:
        raise exc.InvalidPayment(f"unknown channel {channel!r}", field="channel")
    # (the cached copy: ``payment_create`` checks the currency again with the payment's own reads)
    currency_row = currency_precheck(currency or "")
    if currency_row is None or not currency_row.is_active:
        raise ledger_exc.UnknownCurrency(f"unknown or inactive currency {currency!r}", field="currency")
    amount = check_fits(to_decimal(amount), currency_row.exponent, currency=currency_row.code)
    if amount <= 0:
        raise ledger_exc.InvalidAmount("a payment amount must be positive")
    creditor_iban, counterparty_iban, counterparty_name, counterparty_bic, remittance_info, end_to_end_id, \
        target_currency, quote_id = ((text or "").strip() for text in (
            creditor_iban, counterparty_iban, counterparty_name, counterparty_bic, remittance_info, end_to_end_id,
            target_currency, quote_id))
    if counterparty_iban:
        counterparty_iban = str(iban_validate(counterparty_iban))
    if creditor_iban:
        creditor_iban = str(iban_validate(creditor_iban))
    if kind in DEBTOR_KINDS and not debtor_account_id:
        raise exc.InvalidPayment(f"a {kind} payment needs the debtor account", field="debtor_account_id")
    if kind not in DEBTOR_KINDS and debtor_account_id:
        raise exc.InvalidPayment(f"a {kind} payment has no debtor account of ours", field="debtor_account_id")
    if kind in CREDITOR_KINDS and not (creditor_account_id or creditor_iban):
        raise exc.InvalidPayment(f"a {kind} payment needs the creditor account (id or IBAN)",
                                 field="creditor_account_id")
    if kind not in CREDITOR_KINDS and (creditor_account_id or creditor_iban):
        raise exc.InvalidPayment(f"a {kind} payment has no creditor account of ours; name the counterparty",
                                 field="creditor_account_id")
    if kind == Payment.Kind.OUTGOING:
        if not counterparty_iban:
            raise exc.InvalidPayment("an outgoing payment needs the beneficiary's IBAN", field="counterparty_iban")
        if not counterparty_name:
            raise exc.InvalidPayment("an outgoing payment needs the beneficiary's name", field="counterparty_name")
    if kind == Payment.Kind.FX_CONVERSION:
        if not target_currency:
            raise exc.InvalidPayment("a conversion needs the currency to buy", field="target_currency")
    elif target_currency or quote_id:
        raise exc.InvalidPayment("only a conversion has a target currency or a quote", field="target_currency")
    if len(remittance_info) > 140:
        raise exc.InvalidPayment("the remittance information is limited to 140 characters", field="remittance_info")
    return PaymentRequest(
        kind=kind, amount=amount, currency=currency_row.code, channel=channel, debtor_account_id=debtor_account_id,
        creditor_account_id=creditor_account_id, creditor_iban=creditor_iban, counterparty_iban=counterparty_iban,
        counterparty_name=counterparty_name, counterparty_bic=counterparty_bic, remittance_info=remittance_info,
        end_to_end_id=end_to_end_id, target_currency=target_currency, quote_id=quote_id,
    )
