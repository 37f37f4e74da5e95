"""Demo customers, accounts and three months of payments for ``manage.py seed_demo``.

Everything goes through the services: customers are onboarded and their KYC approved, accounts
opened from products, and every payment made with ``payment_create`` (so the tariff's fees and
the limits apply when the back office is installed). The history is a seeded random plan over
the last ~65 business dates: salaries and rent once a month, card-style purchases, transfers
between customers, cash, savings and FX, and one outgoing payment returned by the other bank.

Run it before the ledger demo: on a fresh database it opens the first business date three
months back (business dates of the bank calendar, ``core_banking/eod/calendar.py``) and moves
forward day by day to today. The last ``EOD_DAYS`` business dates are each closed by the real end
of day (``core_banking.eod.demo.end_of_day``: every configured step, in this process), which
opens the next business date; the older ones, and a step to a today that is no business date, by
a plain roll of the business date. So the demo ends on today's open business date with a history
of completed end-of-day runs. Idempotent by checking first: when the demo customers exist it only
reports what is there (the history is written in one transaction, so it is either all there or
not at all).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from schwifty import IBAN

from core_banking.accounts import services as accounts
from core_banking.accounts.models import Account, Product
from core_banking.common.errors import DomainError
from core_banking.common.maker_checker import system_execution
from core_banking.common.money import quantize
from core_banking.customers import services as customers
from core_banking.customers.models import Customer
from core_banking.eod import calendar
from core_banking.eod.demo import end_of_day
from core_banking.ledger import services as ledger
from core_banking.ledger.models import AccountType, BusinessDay, Currency, LedgerAccount

from . import services
from .models import BookingAccount, FxRate, Payment

SEED = 20261122
HISTORY_DAYS = 65
EOD_DAYS = 10  # the last business dates closed by the real end of day
KEY_PREFIX = "demo-pay"
DEMO_EMAIL_DOMAIN = "demo.corebank.test"

PERSONS = [
    # first, last, born, nationality, city, country, occupation
    ("Ada", "Lovelace", dt.date(1985, 12, 10), "GB", "Amsterdam", "NL", "Software engineer"),
    ("Bram", "de Vries", dt.date(1979, 4, 2), "NL", "Utrecht", "NL", "Teacher"),
    ("Chloé", "Martin", dt.date(1992, 7, 21), "FR", "Rotterdam", "NL", "Architect"),
    ("Dev", "Patel", dt.date(1988, 1, 30), "GB", "London", "GB", "Pharmacist"),
    ("Farid", "El Amrani", dt.date(1975, 9, 14), "NL", "Den Haag", "NL", "Taxi driver"),
    ("Greta", "Lindqvist", dt.date(1969, 3, 3), "SE", "Haarlem", "NL", "Physician"),
]
PENDING_PERSON = ("Eva", "Jansen", dt.date(2001, 6, 6), "NL", "Leiden", "NL", "Student")
BUSINESSES = [
    ("Lovelace Analytics B.V.", "KVK68750110", "NL", "Software", "Amsterdam"),
    ("Tulip Trading Ltd", "GB09876543", "GB", "Wholesale of flowers", "London"),
]
PRODUCTS = [
    # code, name, kind, currency, overdraft max, default, tariff, limits
    ("CUR-EUR", "Current account EUR", "current", "EUR", "1000.00", "0.00", "STANDARD", "RETAIL"),
    ("SAV-EUR", "Savings account EUR", "savings", "EUR", "0", "0", "STANDARD", "RETAIL"),
    ("CUR-USD", "Current account USD", "current", "USD", "0", "0", "STANDARD", "RETAIL"),
    ("CUR-GBP", "Current account GBP", "current", "GBP", "0", "0", "STANDARD", "RETAIL"),
    ("BUS-EUR", "Business current account EUR", "current", "EUR", "5000.00", "2500.00", "PREMIUM", "BUSINESS"),
]
def _iban(country: str, bank: str, account: int) -> str:
    """A valid IBAN (check digits computed by schwifty) for the demo's counterparties."""
    return str(IBAN.generate(country, bank_code=bank, account_code=str(account)))


def as_system(service, /, **kwargs):
    """Demo history written by the engine itself (no person to approve it)."""
    with system_execution():
        return service(**kwargs)


MERCHANTS = [
    ("Albert Heijn", _iban("NL", "ABNA", 417164300)), ("Jumbo Supermarkten", _iban("NL", "INGB", 6513720)),
    ("NS Reizen", _iban("NL", "INGB", 1234567)), ("Bol.com", _iban("NL", "ABNA", 534567820)),
    ("Coolblue", _iban("NL", "RABO", 300065264)), ("IKEA", _iban("NL", "INGB", 2445588)),
    ("Thuisbezorgd", _iban("NL", "RABO", 123456789)),
]
BILLERS = [("Eneco", _iban("NL", "INGB", 705005100)), ("KPN", _iban("NL", "INGB", 12345)),
           ("Ziggo", _iban("NL", "ABNA", 554200911))]
LANDLORDS = [("Stadgenoot", _iban("NL", "INGB", 11)), ("Rochdale", _iban("NL", "RABO", 105559770))]
EMPLOYERS = [("Rijksoverheid", _iban("NL", "INGB", 12131)), ("Philips Nederland B.V.", _iban("NL", "ABNA", 430112270))]
SUPPLIERS = [("Royal FloraHolland", _iban("NL", "RABO", 105670007)),
             ("DHL Parcel", _iban("DE", "37040044", 532013000))]
NHS = _iban("GB", "BUKB202015", 55555555)
CUSTOMER_NV = _iban("BE", "539", 7547034)


def _gl(code: str, name: str, type: str, currency: str, **options) -> LedgerAccount:
    return LedgerAccount.objects.filter(code=code).first() or ledger.ledger_account_create(
        code=code, name=name, type=type, currency=currency, **options)


def _chart() -> dict[str, LedgerAccount]:
    """The GL headers and the bank's own accounts the products and payments need (the same codes
    as the ledger demo's chart, so either demo can run first)."""
    base = settings.BANK_BASE_CURRENCY
    gl = {
        "1000": _gl("1000", "Assets", AccountType.ASSET, base, is_synthetic=True),
        "2000": _gl("2000", "Liabilities", AccountType.LIABILITY, base, is_synthetic=True),
        "3000": _gl("3000", "Equity", AccountType.EQUITY, base, is_synthetic=True),
        "4000": _gl("4000", "Income", AccountType.INCOME, base, is_synthetic=True),
    }
    gl["1100"] = _gl("1100", "Cash and central bank", AccountType.ASSET, base, parent=gl["1000"], is_synthetic=True)
    gl["2100"] = _gl("2100", "Customer deposits", AccountType.LIABILITY, base, parent=gl["2000"], is_synthetic=True)
    gl["2200"] = _gl("2200", "Payment settlement", AccountType.LIABILITY, base, parent=gl["2000"],
                     is_synthetic=True)
    gl["3100"] = _gl("3100", "FX position", AccountType.EQUITY, base, parent=gl["3000"], is_synthetic=True)
    gl["4100"] = _gl("4100", "Fee income", AccountType.INCOME, base, parent=gl["4000"], is_synthetic=True)
    for currency in ("EUR", "USD", "GBP"):
        settlement = _gl(f"2200-SCT-{currency}", f"Payment scheme settlement {currency}", AccountType.LIABILITY,
                         currency, parent=gl["2200"], shard_count=8)
        cash = _gl(f"1100-CASH-{currency}", f"Vault and tills {currency}", AccountType.ASSET, currency,
                   parent=gl["1100"], shard_count=4)
        fees = _gl(f"4100-{currency}", f"Account and payment fees {currency}", AccountType.INCOME, currency,
                   parent=gl["4100"], shard_count=8)
        _gl(settings.LEDGER_FX_POSITION_CODE.format(currency=currency), f"FX position {currency}",
            AccountType.EQUITY, currency, parent=gl["3100"])
        for purpose, account in ((BookingAccount.Purpose.SETTLEMENT, settlement),
                                 (BookingAccount.Purpose.CASH, cash), (BookingAccount.Purpose.FEE_INCOME, fees)):
            BookingAccount.objects.get_or_create(purpose=purpose, currency_id=currency,
                                                 defaults={"ledger_account": account})
    return gl


def _products(gl) -> dict[str, Product]:
    products = {}
    for code, name, kind, currency, maximum, default, tariff, limits in PRODUCTS:
        product = Product.objects.filter(code=code).first()
        if product is None:
            product = accounts.product_create(
                code=code, name=name, kind=kind, currency=Currency.objects.get(code=currency), gl_account=gl["2100"],
                overdraft_allowed=Decimal(maximum) > 0, max_overdraft_limit=Decimal(maximum),
                default_overdraft_limit=Decimal(default), tariff_plan_code=tariff, limit_profile_code=limits,
            )
        products[code] = product
    return products


def _email(first: str, last: str) -> str:
    return f"{first}.{last}".lower().replace(" ", "").replace("é", "e") + f"@{DEMO_EMAIL_DOMAIN}"


def _person(spec, *, approve: bool = True) -> Customer:
    first, last, born, nationality, city, country, occupation = spec
    customer = customers.customer_create(
        type="person", first_name=first, last_name=last, date_of_birth=born, nationality=nationality,
        occupation=occupation, email=_email(first, last), phone=f"+31 6 {born:%d%m%Y}",
        addresses=[{"line1": f"{last.split()[-1]}straat {len(first) * 7}", "postal_code": "1011 AB", "city": city,
                    "country": country}],
        tax_residencies=[{"country": country, "tax_id": f"{country}{born:%Y%m%d}"}],
    )
    if approve:
        customer = as_system(customers.customer_set_kyc_status, customer_id=customer.pk, status="approved",
                             risk_rating="low", reason="demo onboarding",
                             next_review_date=timezone.localdate() + dt.timedelta(days=730))
    else:
        customer = as_system(customers.customer_set_kyc_status, customer_id=customer.pk, status="pending",
                             reason="documents uploaded")
    return customer


def _business(spec, owners: list[Customer]) -> Customer:
    name, registration, country, industry, city = spec
    parties = [
        {"role": "beneficial_owner", "first_name": owners[0].first_name, "last_name": owners[0].last_name,
         "date_of_birth": owners[0].date_of_birth, "nationality": owners[0].nationality, "person": owners[0],
         "ownership_percent": Decimal("60.00")},
        {"role": "beneficial_owner", "first_name": "Jan", "last_name": "Bakker", "date_of_birth": dt.date(1970, 1, 1),
         "nationality": "NL", "ownership_percent": Decimal("40.00")},
        {"role": "signatory", "first_name": owners[0].first_name, "last_name": owners[0].last_name,
         "person": owners[0]},
    ]
    customer = customers.customer_create(
        type="business", legal_name=name, registration_number=registration, incorporation_country=country,
        industry=industry, email=f"finance@{name.split()[0].lower()}.{DEMO_EMAIL_DOMAIN}",
        addresses=[{"line1": "Herengracht 1", "postal_code": "1015 BA", "city": city, "country": country}],
        tax_residencies=[{"country": country, "tax_id": registration}], related_parties=parties,
    )
    return as_system(customers.customer_set_kyc_status, customer_id=customer.pk, status="approved",
                     risk_rating="medium", reason="demo onboarding")


def _rates() -> None:
    start = timezone.now() - dt.timedelta(days=HISTORY_DAYS * 2)
    for base, quote, mid in (("EUR", "USD", "1.0850"), ("EUR", "GBP", "0.8520"), ("GBP", "USD", "1.2735")):
        if not FxRate.objects.filter(base_id=base, quote_id=quote).exists():
            services.fx_rate_set(base=base, quote=quote, mid_rate=Decimal(mid), spread=Decimal("0.005"),
                                 valid_from=start, source="demo")


def _history_dates(today: dt.date) -> list[dt.date]:
    """The last ``HISTORY_DAYS - 1`` business dates of the bank calendar before today, and today."""
    dates, day = [], today
    while len(dates) < HISTORY_DAYS - 1:
        day = calendar.previous_business_day(day)
        dates.append(day)
    return [*reversed(dates), today]


def _closed_by_end_of_day(dates: list[dt.date]) -> set[int]:
    """Indexes of the dates whose predecessor the end of day closes: the last ``EOD_DAYS`` steps
    to the next business date of the calendar (what the end of day opens)."""
    steps = [i for i in range(1, len(dates)) if dates[i] == calendar.next_business_day(dates[i - 1])]
    return set(steps[-EOD_DAYS:])


class _Plan:
    """Makes the payments and keeps a running view of what each account may still spend (the
    fee comes from a preview), so the plan never asks for a payment the ledger would refuse."""

    def __init__(self, dates: list[dt.date] | None) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - demo data
        self.dates = dates
        self.end_of_day = _closed_by_end_of_day(dates) if dates else set()
        self.eod_runs = 0
        self.day = 0
        self.counts: Counter[str] = Counter()
        self.available: dict[int, Decimal] = {}
        self.returnable: list[Payment] = []

    def next_day(self) -> None:
        self.day += 1
        if self.dates is None or self.day == 1:
            return
        if self.day - 1 in self.end_of_day:
            end_of_day()  # closes the open date, opens the next business date: dates[day - 1]
            self.eod_runs += 1
        else:
            ledger.business_date_roll(to_date=self.dates[self.day - 1])

    def _spendable(self, account: Account) -> Decimal:
        return self.available.get(account.pk, Decimal(0)) + account.overdraft_limit

    def pay(self, **request) -> Payment | None:
        debtor = request.get("debtor")
        creditor = request.get("creditor")
        fields = {k: v for k, v in request.items() if k not in ("debtor", "creditor")}
        if debtor is not None:
            fields["debtor_account_id"] = debtor.pk
        if creditor is not None:
            fields["creditor_account_id"] = creditor.pk
        fields["amount"] = quantize(Decimal(fields["amount"]), 2)
        try:
            checked = services.payment_request(**fields)
            preview = services.payment_preview(checked)
            if debtor is not None and preview.total_debit > self._spendable(debtor):
                self.counts["skipped (funds)"] += 1
                return None
            payment, _ = services.payment_create(checked,
                                                 idempotency_key=f"{KEY_PREFIX}:{self.day:03d}:{self.counts.total()}")
        except DomainError as error:  # e.g. a limit the plan ran into: realistic, recorded, skipped
            self.counts[f"refused ({error.code})"] += 1
            return None
        self.counts[payment.kind] += 1
        if debtor is not None:
            self.available[debtor.pk] = self._spendable(debtor) - debtor.overdraft_limit - preview.total_debit
        if creditor is not None:
            received = payment.target_amount if payment.kind == Payment.Kind.FX_CONVERSION else payment.amount
            fee = payment.fee_amount if payment.fee_account and payment.fee_account.pk == creditor.pk else 0
            self.available[creditor.pk] = self.available.get(creditor.pk, Decimal(0)) + received - fee
        return payment


def _run_history(plan: _Plan, people: list[Account], savings: dict[int, Account], usd: dict[int, Account],
                 gbp: list[Account], businesses: list[Account]) -> None:
    rng = plan.rng
    for day_index in range(HISTORY_DAYS):
        plan.next_day()
        month_day = day_index % 21
        if day_index == 0:
            for account in people + businesses:
                plan.pay(kind="cash_deposit", amount=rng.randint(800, 2500), currency=account.currency_id,
                         creditor=account, channel="branch", remittance_info="Opening deposit")
            for account in gbp:
                plan.pay(kind="incoming", amount=rng.randint(500, 1500), currency="GBP", creditor=account,
                         counterparty_iban=NHS, counterparty_name="NHS Trust",
                         remittance_info="Salary")
        if month_day == 1:  # pay day
            for account in people:
                employer, iban = rng.choice(EMPLOYERS)
                plan.pay(kind="incoming", amount=rng.randint(2400, 4800), currency="EUR", creditor=account,
                         counterparty_iban=iban, counterparty_name=employer, remittance_info="Salaris",
                         end_to_end_id=f"SAL-{day_index:03d}-{account.number}")
        if month_day == 2:  # rent and savings
            for account in people:
                landlord, iban = rng.choice(LANDLORDS)
                plan.pay(kind="outgoing", amount=rng.randint(850, 1400), currency="EUR", debtor=account,
                         counterparty_iban=iban, counterparty_name=landlord, remittance_info="Huur")
                if account.pk in savings:
                    plan.pay(kind="internal_transfer", amount=rng.randint(100, 400), currency="EUR", debtor=account,
                             creditor=savings[account.pk], channel="mobile", remittance_info="Sparen")
        if month_day == 5:
            for account in people:
                biller, iban = rng.choice(BILLERS)
                plan.pay(kind="outgoing", amount=Decimal(rng.randint(3500, 14000)) / 100, currency="EUR",
                         debtor=account, counterparty_iban=iban, counterparty_name=biller,
                         remittance_info="Maandelijkse factuur", channel="internet")
        for _ in range(rng.randint(2, 5)):  # everyday spending
            account = rng.choice(people)
            merchant, iban = rng.choice(MERCHANTS)
            plan.pay(kind="outgoing", amount=Decimal(rng.randint(300, 12000)) / 100, currency="EUR", debtor=account,
                     counterparty_iban=iban, counterparty_name=merchant, channel="mobile",
                     remittance_info=f"Order {rng.randint(100000, 999999)}")
        if rng.random() < 0.5:  # friends settle up
            payer, payee = rng.sample(people, 2)
            plan.pay(kind="internal_transfer", amount=Decimal(rng.randint(500, 9000)) / 100, currency="EUR",
                     debtor=payer, creditor=payee, channel="mobile", remittance_info="Tikkie")
        if rng.random() < 0.2:
            plan.pay(kind="cash_withdrawal", amount=rng.choice([50, 100, 150, 200]), currency="EUR",
                     debtor=rng.choice(people), channel="branch")
        if rng.random() < 0.15 and usd:
            owner = rng.choice(list(usd))
            source = next(a for a in people if a.pk == owner)
            plan.pay(kind="fx_conversion", amount=rng.randint(50, 300), currency="EUR", debtor=source,
                     creditor=usd[owner], target_currency="USD", channel="mobile")
        for account in businesses:
            if rng.random() < 0.6:
                plan.pay(kind="incoming", amount=Decimal(rng.randint(20000, 350000)) / 100, currency="EUR",
                         creditor=account, counterparty_iban=CUSTOMER_NV, counterparty_name="Customer N.V.",
                         remittance_info=f"Invoice {rng.randint(2026000, 2026999)}")
            if rng.random() < 0.4:
                supplier, iban = rng.choice(SUPPLIERS)
                payment = plan.pay(kind="outgoing", amount=Decimal(rng.randint(10000, 250000)) / 100,
                                   currency="EUR", debtor=account, counterparty_iban=iban,
                                   counterparty_name=supplier, remittance_info="Supplier invoice", channel="file")
                if payment is not None and not plan.returnable:
                    plan.returnable.append(payment)
        if day_index == 10 and plan.returnable:
            services.payment_return(payment_id=plan.returnable[0].pk, reason="AC04 account closed at beneficiary")
            plan.counts["returned"] += 1


def load_demo_payments(*, stdout) -> None:
    if Customer.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}").exists():
        stdout.write(f"Payments demo: already loaded ({Customer.objects.count()} customers, "
                     f"{Account.objects.count()} accounts, {Payment.objects.count()} payments).")
        return
    with transaction.atomic():
        gl = _chart()
        products = _products(gl)
        _rates()
        dates = None
        if not BusinessDay.objects.exists():
            dates = _history_dates(timezone.localdate())
            BusinessDay.objects.create(date=dates[0], opened_at=timezone.now())
        persons = [_person(spec) for spec in PERSONS]
        _person(PENDING_PERSON, approve=False)
        businesses = [_business(spec, persons[i:]) for i, spec in enumerate(BUSINESSES)]
        eur = [accounts.account_open(customer_id=p.pk, product_id=products["CUR-EUR"].pk)
               for p in persons if p.nationality != "GB" or p.first_name == "Ada"]
        savings = {eur[i].pk: accounts.account_open(customer_id=eur[i].customer_id, product_id=products["SAV-EUR"].pk)
                   for i in (0, 2)}
        usd = {eur[0].pk: accounts.account_open(customer_id=eur[0].customer_id, product_id=products["CUR-USD"].pk)}
        gbp = [accounts.account_open(customer_id=p.pk, product_id=products["CUR-GBP"].pk)
               for p in persons if p.first_name == "Dev"]
        business_accounts = [accounts.account_open(customer_id=b.pk, product_id=products["BUS-EUR"].pk)
                             for b in businesses]
        plan = _Plan(dates)
        _run_history(plan, eur, savings, usd, gbp, business_accounts)
    summary = ", ".join(f"{count} {name}" for name, count in sorted(plan.counts.items()) if count)
    period = (f"business dates {dates[0]} to {dates[-1]}, the last {plan.eod_runs} closed by the end of day"
              if dates else "on the open business date")
    stdout.write(f"Payments demo: {Customer.objects.count()} customers, {Account.objects.count()} accounts, "
                 f"{Payment.objects.count()} payments ({summary}); {period}.")
