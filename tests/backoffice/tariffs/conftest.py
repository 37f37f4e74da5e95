import datetime as dt
from decimal import Decimal

from backoffice.tariffs import services
from core_banking.payments.seams import PaymentIntent
from tests import banking

JAN_1 = dt.date(2026, 1, 1)
MARCH_10 = dt.date(2026, 3, 10)


def rule(event="outgoing_payment", **fields):
    """A fee rule as the services take it: EUR and nothing charged unless said otherwise."""
    return {"event": event, "currency": "EUR", **fields}


def plan(code, *rules, effective_from=JAN_1, **fields):
    """A plan with one version (from 1 January 2026) holding these rules."""
    created = services.plan_create(code=code, name=fields.pop("name", code.title()), **fields)
    banking.as_system(services.version_create, plan_id=created.pk, effective_from=effective_from, rules=list(rules))
    return created


def account_on(bank, plan_code="STANDARD", *, currency="EUR", customer=None):
    """An active account whose product names ``plan_code``."""
    product = banking.product(bank, currency=currency, tariff_plan_code=plan_code)
    return banking.account(customer or banking.customer(), product)


def outgoing(account, amount="100.00", *, date=MARCH_10, channel="api", currency=None, payment=None):
    return PaymentIntent(kind="outgoing", event="outgoing_payment", channel=channel, amount=Decimal(amount),
                         currency=currency or account.currency_id, business_date=date, debtor=account,
                         payment=payment)
