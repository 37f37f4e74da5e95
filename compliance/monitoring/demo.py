"""Demo data: the default monitoring rules (``seed.seed``), then, when the payments demo's
customers exist, a few payments on the open business date that the rules catch, for
``DEMO_DATA_LOADERS``.

The rules are in force from the open business date (a new rule never re-judges the past), so the
payments demo's history, written before them, raised nothing. The examples go through the
payments service like any payment, and the real-time check judges them: a business customer
receives a large transfer (``TM-LARGE``) and pays a large sum to a supplier it never paid before
(``TM-NEW-CPTY``). Each raises its alert on the customer's case; the payments go on (the rules
only alert). Idempotent: the payments carry fixed idempotency keys, so a second run replays them
and raises nothing new.
"""

from __future__ import annotations

from decimal import Decimal

from .seed import seed

KEY_PREFIX = "demo-monitoring"
NEW_SUPPLIER = ("Van Dijk Interieurbouw B.V.", "NL12RABO0300612345")


def _business_account(name: str):
    from core_banking.accounts.models import Account
    from core_banking.payments.demo import DEMO_EMAIL_DOMAIN

    return (Account.objects.filter(customer__legal_name=name, customer__email__endswith=DEMO_EMAIL_DOMAIN,
                                   currency_id="EUR").order_by("pk").first())


def _examples(stdout) -> None:
    from core_banking.common.errors import DomainError
    from core_banking.payments import services as payments
    from core_banking.payments.demo import CUSTOMER_NV, as_system

    analytics = _business_account("Lovelace Analytics B.V.")
    if analytics is None:
        return
    examples = [
        ("large-incoming", {"kind": "incoming", "amount": Decimal("18500.00"), "creditor_account_id": analytics.pk,
                            "counterparty_iban": CUSTOMER_NV, "counterparty_name": "Customer N.V.",
                            "remittance_info": "Invoice 2026-0412, annual licence"}),
        ("new-beneficiary", {"kind": "outgoing", "amount": Decimal("12750.00"), "debtor_account_id": analytics.pk,
                             "counterparty_iban": NEW_SUPPLIER[1], "counterparty_name": NEW_SUPPLIER[0],
                             "remittance_info": "Office fit-out, first instalment", "channel": "internet"}),
    ]
    made = replayed = 0
    for key, fields in examples:
        try:
            _payment, again = as_system(payments.payment_create, currency="EUR",
                                        idempotency_key=f"{KEY_PREFIX}:{key}", **fields)
        except DomainError as error:  # a limit or check someone has since tightened: reported, not fatal
            if stdout is not None:
                stdout.write(f"monitoring example {key}: refused ({error.code}: {error.detail})\n")
            continue
        replayed += again
        made += not again
    if stdout is not None:
        stdout.write(f"monitoring examples: {made} payments made on the open business date for the rules to catch"
                     f"{f', {replayed} already there' if replayed else ''}\n")


def load_demo(stdout=None) -> None:
    seed(stdout=stdout)
    _examples(stdout)
