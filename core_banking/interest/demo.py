"""Demo interest for ``manage.py seed_demo`` (``DEMO_DATA_LOADERS``): the ``SAVINGS-EUR`` schedule
(2.5 %, ACT/365F, capitalised monthly; from 50,000.00 the whole balance earns 2.75 %) and the demo
savings product ``SAV-EUR`` earning under it, so the end of day accrues and capitalises interest
on the demo savings accounts.

Run it after ``core_banking.payments.demo.load_demo_payments``, which creates ``SAV-EUR`` and the
demo customers' savings accounts. Without that product (the payments demo not loaded) it creates
``SAV-EUR`` itself, and, when a demo customer exists, one savings account for them funded with a
cash deposit (a payment, through the ledger).

Idempotent: the schedule is looked up by code and created when missing, its first rate version
only when it has none (a schedule someone has changed since is left as it is); the product's
``interest_schedule_code`` is set only while empty; the fallback account and its deposit are
looked up (account) and keyed (payment) so a second run adds nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from core_banking.accounts import services as accounts
from core_banking.accounts.models import Account, Product
from core_banking.audit.services import audit_record
from core_banking.common.maker_checker import system_execution
from core_banking.ledger.selectors import business_date_current

from . import services
from .models import InterestRate, InterestRateSchedule

SCHEDULE_CODE = "SAVINGS-EUR"
PRODUCT_CODE = "SAV-EUR"
CREDIT_RATE = Decimal("0.025")
TIERS = ({"from_balance": Decimal("50000.00"), "rate": Decimal("0.0275")},)
OPENING_DEPOSIT = Decimal("2500.00")
DEPOSIT_KEY = "demo-interest:sav-eur-opening"


def _schedule(stdout) -> InterestRateSchedule:
    schedule = InterestRateSchedule.objects.filter(code=SCHEDULE_CODE).first()
    if schedule is None:
        schedule = InterestRateSchedule.objects.create(
            code=SCHEDULE_CODE, name="Savings EUR", currency_id="EUR", convention="act_365f",
            accrual_basis="end_of_day", capitalisation_frequency="monthly", tier_mode="whole_balance",
            description="Demo savings rate: 2.5 %, 2.75 % on the whole balance from 50,000.00; paid monthly.")
    if not InterestRate.objects.filter(schedule=schedule).exists():
        # Closed business dates are never re-priced: the first version starts on the open one.
        start = business_date_current()
        services.rate_version_create(schedule_id=schedule.pk, effective_from=start, credit_rate=CREDIT_RATE,
                                     tiers=TIERS, note="Demo savings rate")
        if stdout is not None:
            stdout.write(f"Interest schedule {SCHEDULE_CODE}: 2.5 % (2.75 % from 50,000.00), ACT/365F, monthly, "
                         f"from {start.isoformat()}")
    return schedule


def _savings_product(stdout) -> tuple[Product, bool]:
    """The demo savings product; created (as the payments demo would) when missing."""
    product = Product.objects.filter(code=PRODUCT_CODE).first()
    if product is not None:
        return product, False
    from core_banking.payments.demo import _chart  # the demo chart (idempotent): GL headers, booking accounts

    gl = _chart()
    product = accounts.product_create(code=PRODUCT_CODE, name="Savings account EUR", kind="savings",
                                      currency_id="EUR", gl_account=gl["2100"], tariff_plan_code="STANDARD",
                                      limit_profile_code="RETAIL", interest_schedule_code=SCHEDULE_CODE)
    if stdout is not None:
        stdout.write(f"Product {PRODUCT_CODE}: created, earning under {SCHEDULE_CODE}")
    return product, True


def _demo_savings_account(product: Product, stdout) -> Account | None:
    """One savings account for the first demo customer (KYC approved), with an opening cash
    deposit; None when there is no demo customer."""
    from core_banking.customers.models import Customer
    from core_banking.payments import services as payments
    from core_banking.payments.demo import DEMO_EMAIL_DOMAIN

    customer = (Customer.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}", type="person",
                                        kyc_status="approved").order_by("pk").first())
    if customer is None:
        return None
    account = Account.objects.filter(customer=customer, product=product).order_by("pk").first()
    if account is None:
        account = accounts.account_open(customer_id=customer.pk, product_id=product.pk)
    with system_execution():
        payments.payment_create(kind="cash_deposit", amount=OPENING_DEPOSIT, currency="EUR",
                                creditor_account_id=account.pk, channel="branch",
                                remittance_info="Opening deposit", idempotency_key=DEPOSIT_KEY)
    if stdout is not None:
        stdout.write(f"Savings account {account.number} for {customer}: {OPENING_DEPOSIT} EUR")
    return account


@transaction.atomic
def load_demo(*, stdout=None) -> InterestRateSchedule:
    """Create the demo schedule and put the demo savings product under it; returns the schedule."""
    schedule = _schedule(stdout)
    product, created = _savings_product(stdout)
    if created:
        _demo_savings_account(product, stdout)
    elif not product.interest_schedule_code:
        product.interest_schedule_code = schedule.code
        product.save(update_fields=["interest_schedule_code"])
        audit_record(action="product.updated", obj=product, before={"interest_schedule_code": ""},
                     after={"interest_schedule_code": schedule.code}, changes=["interest_schedule_code"],
                     reason="demo interest")
        if stdout is not None:
            stdout.write(f"Product {PRODUCT_CODE}: earns under {SCHEDULE_CODE}")
    elif stdout is not None and product.interest_schedule_code != schedule.code:
        stdout.write(f"Product {PRODUCT_CODE} earns under {product.interest_schedule_code}: left as it is")
    return schedule
