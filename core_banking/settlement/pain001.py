"""The pain.001 (customer credit transfer initiation) of a closed batch, written with the
``sepaxml`` library and validated against the official XSD it ships (``pain.001.001.03``, the
SEPA credit transfer version): no XML is assembled by hand here.

The bank is the debtor and debtor agent of the file (``SETTLEMENT_BANK_IBAN`` /
``SETTLEMENT_BANK_BIC``); each item is one credit transfer transaction, its ``EndToEndId`` the
customer's end-to-end id (or the payment reference), its remittance the customer's text.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from schwifty import IBAN
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError

SCHEMA = "pain.001.001.03"


def bank_iban() -> str:
    """The bank's own settlement IBAN: the setting, or one built from the bank's country and code."""
    configured = getattr(settings, "SETTLEMENT_BANK_IBAN", "")
    if configured:
        return str(IBAN(configured)).replace(" ", "")
    return IBAN.generate(settings.BANK_COUNTRY, bank_code=settings.BANK_CODE, account_code="9999999999").compact


def bank_bic() -> str:
    return getattr(settings, "SETTLEMENT_BANK_BIC", "") or f"{settings.BANK_CODE}{settings.BANK_COUNTRY}2A"


def schema_path() -> str:
    """The XSD ``sepaxml`` validates against (tests validate the stored file against it again)."""
    import sepaxml

    return os.path.join(os.path.dirname(sepaxml.__file__), "schemas", f"{SCHEMA}.xsd")


@functools.cache
def _xsd():
    """The official XSD, parsed once per process (``sepaxml`` parses it again for every file,
    which costs more than writing a batch of a hundred payments)."""
    import xmlschema  # imported late, as sepaxml does: it patches ElementTree on import

    return xmlschema.XMLSchema(schema_path())


class _Transfer(SepaTransfer):
    """``SepaTransfer`` with our batch's message id instead of a random one, validated against the
    XSD parsed once."""

    def __init__(self, config: dict, *, message_id: str):
        self._message_id = message_id
        super().__init__(config, schema=SCHEMA)

    def _create_header(self):
        self.msg_id = self._message_id
        super()._create_header()

    def export(self, validate: bool = True, pretty_print: bool = False) -> bytes:
        out = super().export(validate=False, pretty_print=pretty_print)
        if validate:
            import xmlschema

            try:
                _xsd().validate(out.decode())
            except xmlschema.XMLSchemaValidationError as error:
                raise ValidationError("The output SEPA file contains validation errors.") from error
        return out


def _cents(amount: Decimal) -> int:
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has more than two decimals")
    return int(cents)


def build(*, message_id: str, currency: str, execution_date: dt.date, items: Iterable) -> bytes:
    """The validated pain.001 bytes for ``items`` (objects with the ``BatchItem`` fields)."""
    transfer = _Transfer({"name": settings.BANK_NAME, "IBAN": bank_iban(), "BIC": bank_bic(), "batch": True,
                          "currency": currency}, message_id=message_id)
    for item in items:
        payment = {"name": item.creditor_name or "Unknown", "IBAN": item.creditor_iban,
                   "amount": _cents(item.amount), "execution_date": execution_date,
                   "description": item.remittance_info or item.instruction_id, "endtoend_id": item.end_to_end_id}
        if item.creditor_bic:
            payment["BIC"] = item.creditor_bic
        transfer.add_payment(payment)
    return transfer.export(validate=True)


def execution_date_for(cutoff_at: dt.datetime) -> dt.date:
    return timezone.localtime(cutoff_at).date()
