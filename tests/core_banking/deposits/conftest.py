import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core_banking.deposits import services
from core_banking.ledger import services as ledger
from core_banking.ledger.models import BusinessDay
from tests import banking


def set_business_date(day: dt.date) -> None:
    """Open ``day`` as the business date (the first call opens it; later ones roll forward)."""
    current = BusinessDay.objects.filter(closed_at__isnull=True).first()
    if current is None:
        BusinessDay.objects.create(date=day, opened_at=timezone.now())
    elif current.date != day:
        ledger.business_date_roll(to_date=day)


def deposit_product(bank, *, code: str = "TD-EUR", currency: str = "EUR", **fields):
    account_product = banking.product(bank, kind="term_deposit", currency=currency, code=f"ACC-{code}",
                                      name=f"Term deposit account {currency}")
    values = {"name": f"Term deposit {code}", "currency_id": currency, "account_product": account_product,
              "convention": "act_365f", "term_unit": "months", "min_term": 1, "max_term": 60,
              "min_amount": Decimal("100.00"), "default_rate": Decimal("0.03"), **fields}
    return services.deposit_product_create(code=code, **values)


def open_deposit(product, funding, *, amount="10000.00", term=6, key=None, **options):
    deposit, _ = services.deposit_open(product_id=product.pk, funding_account_id=funding.pk, amount=Decimal(amount),
                                       term=term, idempotency_key=key or f"open-{funding.pk}-{amount}-{term}-"
                                       f"{options.get('instruction', '')}-{product.pk}", **options)
    return deposit


FIRST_BUSINESS_DATE = dt.date(2023, 1, 2)


@pytest.fixture(autouse=True)
def _business_date(request):
    """Tests choose their dates (``set_business_date``): the ledger opens on a fixed early date,
    before any fixture posts (which would open today's)."""
    if "db" in request.fixturenames or "transactional_db" in request.fixturenames:
        set_business_date(FIRST_BUSINESS_DATE)


@pytest.fixture
def current_product(bank):
    return banking.product(bank, code="CUR-EUR", name="Current account EUR")


@pytest.fixture
def funding(bank, ada, current_product):
    """Ada's current account with 50,000.00 EUR on it."""
    account = banking.account(ada, current_product)
    banking.fund(bank, account, "50000.00")
    return account


@pytest.fixture
def td_product(bank):
    return deposit_product(bank)
