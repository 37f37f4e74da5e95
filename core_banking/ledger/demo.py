"""Demo ledger for ``manage.py seed_demo``: the chart of accounts of a small bank and three weeks
of everyday activity, all posted through ``core_banking.ledger.services``.

Idempotent by construction, not by checking first: accounts are looked up by code before they
are opened, and every entry, hold and reversal carries an idempotency key derived from its place
in a fixed plan. The plan comes from a seeded random generator and a simulation of the customer
balances that never reads the database, so a second run asks for exactly the same postings
under the same keys and the services replay every one of them (nothing new is written).

On a fresh ledger (no business date opened yet) the history is spread over the last fifteen
business dates: the first is opened three weeks ago and the loader rolls the business date
forward day by day, ending on today's date, so statements and point-in-time balances have some
depth. On a ledger that is already in use everything is posted on the open business date.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core_banking.common.maker_checker import system_execution
from core_banking.common.money import quantize
from core_banking.ledger import services
from core_banking.ledger.engine import Leg
from core_banking.ledger.models import AccountType, BalanceRule, BusinessDay, Currency, Hold, LedgerAccount

SEED = 20260101
HISTORY_DAYS = 15  # business dates, the last one today
KEY_PREFIX = "demo-ledger"

ASSET, LIABILITY, EQUITY = AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY
INCOME, EXPENSE = AccountType.INCOME, AccountType.EXPENSE
NON_NEGATIVE, OVERDRAFT = BalanceRule.NON_NEGATIVE, BalanceRule.OVERDRAFT_LIMIT


@dataclass(frozen=True)
class AccountSpec:
    code: str
    name: str
    type: str
    currency: str = ""  # empty: the bank's base currency
    parent: str = ""
    synthetic: bool = False
    rule: str = BalanceRule.UNCONSTRAINED
    overdraft: Decimal = Decimal(0)
    shards: int = 1
    external_id: str = ""


def _header(code: str, name: str, type: str, parent: str = "") -> AccountSpec:
    return AccountSpec(code=code, name=name, type=type, parent=parent, synthetic=True)


def _fx_position(currency: str) -> AccountSpec:
    code = settings.LEDGER_FX_POSITION_CODE.format(currency=currency)
    return AccountSpec(code=code, name=f"FX position {currency}", type=EQUITY, currency=currency, parent="3100")


def _customer(number: int, currency: str, name: str, **options) -> AccountSpec:
    """A wallet kept directly in the ledger by a client of the ledger API (no customer record of
    the product layer behind it; the payments demo has those): a liability of the bank that may
    not go below zero (or below its overdraft limit)."""
    return AccountSpec(code=f"2100-{number:06d}-{currency}", name=name, type=LIABILITY, currency=currency,
                       parent="2100", rule=options.pop("rule", NON_NEGATIVE), external_id=f"CUST-{number:06d}",
                       **options)


def chart_of_accounts() -> list[AccountSpec]:
    """Parents before children. Header accounts (synthetic) take no postings."""
    return [
        _header("1000", "Assets", ASSET),
        _header("1100", "Cash and central bank", ASSET, "1000"),
        AccountSpec("1100-EUR", "Central bank reserve account", ASSET, "EUR", "1100"),
        _header("1200", "Nostro accounts", ASSET, "1000"),
        AccountSpec("1200-USD", "Nostro USD, correspondent bank New York", ASSET, "USD", "1200"),
        AccountSpec("1200-GBP", "Nostro GBP, correspondent bank London", ASSET, "GBP", "1200"),
        _header("1300", "Digital assets in custody", ASSET, "1000"),
        AccountSpec("1300-BTC", "Bitcoin cold wallet", ASSET, "BTC", "1300"),
        _header("2000", "Liabilities", LIABILITY),
        _header("2100", "Customer deposits", LIABILITY, "2000"),
        _customer(1, "EUR", "Wallet 000001 EUR"),
        _customer(1, "USD", "Wallet 000001 USD"),
        _customer(2, "EUR", "Wallet 000002 EUR (with overdraft)", rule=OVERDRAFT, overdraft=Decimal("500.00")),
        _customer(3, "EUR", "Wallet 000003 EUR"),
        _customer(3, "BTC", "Wallet 000003 BTC"),
        _customer(4, "GBP", "Wallet 000004 GBP"),
        _header("2200", "Payment settlement", LIABILITY, "2000"),
        AccountSpec("2200-CARD-EUR", "Card scheme settlement EUR", LIABILITY, "EUR", "2200"),
        _header("3000", "Equity", EQUITY),
        _header("3100", "FX position", EQUITY, "3000"),
        *(_fx_position(currency) for currency in ("EUR", "USD", "GBP", "BTC")),
        _header("3200", "Share capital", EQUITY, "3000"),
        AccountSpec("3200-EUR", "Paid-in share capital", EQUITY, "EUR", "3200"),
        _header("4000", "Income", INCOME),
        # Every fee lands here: an unconstrained, high-traffic account, so it is sharded.
        _header("4100", "Fee income", INCOME, "4000"),
        AccountSpec("4100-EUR", "Account and payment fees", INCOME, "EUR", "4100", shards=8),
        _header("5000", "Interest expense", EXPENSE),
        AccountSpec("5100-EUR", "Interest paid on customer deposits", EXPENSE, "EUR", "5000"),
        _header("6000", "Operating expenses", EXPENSE),
        AccountSpec("6100-EUR", "Customer bonuses", EXPENSE, "EUR", "6000"),
    ]


def _currencies_ensure() -> None:
    # A configurable asset next to the ISO currencies (loaded by the ledger's migration).
    Currency.objects.get_or_create(
        code="BTC", defaults={"name": "Bitcoin", "exponent": 8, "kind": Currency.Kind.ASSET}
    )


def _chart_ensure() -> tuple[dict[str, LedgerAccount], int]:
    accounts: dict[str, LedgerAccount] = {}
    opened = 0
    base_currency = settings.BANK_BASE_CURRENCY
    for spec in chart_of_accounts():
        account = LedgerAccount.objects.filter(code=spec.code).first()
        if account is None:
            account = services.ledger_account_create(
                code=spec.code, name=spec.name, type=spec.type, currency=spec.currency or base_currency,
                parent=accounts[spec.parent] if spec.parent else None, is_synthetic=spec.synthetic,
                balance_rule=spec.rule, overdraft_limit=spec.overdraft, shard_count=spec.shards,
                external_id=spec.external_id,
            )
            opened += 1
        accounts[spec.code] = account
    return accounts, opened


def _history_dates(today: dt.date) -> list[dt.date]:
    """The last HISTORY_DAYS - 1 weekdays before today, then today."""
    dates: list[dt.date] = []
    day = today
    while len(dates) < HISTORY_DAYS - 1:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            dates.append(day)
    return [*reversed(dates), today]


def cents(value: int, exponent: int = 2) -> Decimal:
    return quantize(Decimal(value).scaleb(-exponent), exponent)


MERCHANTS = [
    "Albert Heijn", "Jumbo", "NS Reizen", "Shell", "Bol.com", "Coolblue", "HEMA", "Thuisbezorgd",
    "Pathé", "Kruidvat", "IKEA", "Spotify",
]
PAYEES = ["Eneco", "Vattenfall", "KPN", "Ziggo", "Gemeente Amsterdam", "Zilveren Kruis", "Belastingdienst"]


class _DemoBank:
    """Drives the services and simulates what each customer may still spend, so that the plan
    never asks for a posting the ledger would refuse."""

    def __init__(self, accounts: dict[str, LedgerAccount], dates: list[dt.date] | None) -> None:
        self.accounts = accounts
        self.dates = dates
        self.rng = random.Random(SEED)  # noqa: S311 - demo data, not security
        self.day = 0
        self.seq = 0
        self.available = {
            code: Decimal(0) for code, account in accounts.items()
            if account.balance_rule != BalanceRule.UNCONSTRAINED
        }
        self.floors = {code: -accounts[code].overdraft_limit for code in self.available}
        self.entry_ids: dict[str, int] = {}
        self.hold_ids: dict[str, int] = {}
        self.counts: Counter[str] = Counter()
        self.card_unsettled = Decimal(0)

    # --- plumbing -------------------------------------------------------------------------

    def next_day(self) -> None:
        self.day += 1
        self.seq = 0
        if self.dates is not None and self.day > 1:
            services.business_date_roll(to_date=self.dates[self.day - 1])

    def _key(self, label: str) -> str:
        self.seq += 1
        return f"{KEY_PREFIX}:{self.day:02d}-{self.seq:02d}:{label}"

    def _id(self, code: str) -> int:
        return self.accounts[code].pk

    def _count(self, result: services.PostResult, label: str) -> services.PostResult:
        self.counts["replayed" if result.replayed else "posted"] += 1
        self.entry_ids[label] = result.entry.pk
        return result

    def _move(self, code: str, delta: Decimal) -> None:
        """Apply a change (in the account's normal orientation) to the simulated availability."""
        if code in self.available:
            self.available[code] += delta
            assert self.available[code] >= self.floors[code], f"demo plan overdraws {code}"

    def can_spend(self, code: str, amount: Decimal) -> bool:
        return self.available[code] - amount >= self.floors[code]

    # --- banking operations ---------------------------------------------------------------

    def transfer(self, debit: str, credit: str, amount: Decimal, description: str, label: str = "transfer",
                 ref: str = "") -> str:
        key = self._key(label)
        # A debit raises a debit-normal account (asset, expense) and lowers a credit-normal one.
        self._move(debit, amount * self.accounts[debit].sign)
        self._move(credit, -amount * self.accounts[credit].sign)
        self._count(services.transfer(debit_account_id=self._id(debit), credit_account_id=self._id(credit),
                                      amount=amount, idempotency_key=key, description=description,
                                      external_ref=ref), key)
        return key

    def payment_out(self, customer: str, amount: Decimal, payee: str, *, fee: Decimal = Decimal(0)) -> None:
        """A customer's outgoing SEPA payment through the central bank, with its fee in the
        same entry."""
        key = self._key("payment")
        legs = [Leg(self._id(customer), amount), Leg(self._id("1100-EUR"), -amount)]
        if fee:
            legs += [Leg(self._id(customer), fee), Leg(self._id("4100-EUR"), -fee)]
        self._move(customer, -(amount + fee))
        result = services.entry_post(postings=legs, idempotency_key=key, description=f"Payment to {payee}",
                                     external_ref=f"E2E-{self.day:02d}{self.seq:02d}",
                                     metadata={"payee": payee, "fee": str(fee)} if fee else {"payee": payee})
        self._count(result, key)

    def reverse(self, original_key: str, reason: str, *, effects: dict[str, Decimal]) -> None:
        key = self._key("reversal")
        for code, delta in effects.items():
            self._move(code, delta)
        with system_execution():  # demo history, written by the engine itself: no person to approve it
            self._count(services.entry_reverse(entry_id=self.entry_ids[original_key], idempotency_key=key,
                                               reason=reason), key)

    def fx(self, source: str, target: str, sell: Decimal, rate: str, description: str = "") -> None:
        key = self._key("fx")
        result = services.fx_convert(from_account_id=self._id(source), to_account_id=self._id(target),
                                     sell_amount=sell, rate=Decimal(rate), idempotency_key=key,
                                     description=description)
        self._move(source, -sell)
        target_legs = result.entry.postings.filter(account_id=self._id(target)).values_list("amount", flat=True)
        self._move(target, sum(target_legs, Decimal(0)) * self.accounts[target].sign)
        self._count(result, key)

    def card_authorise(self, customer: str, amount: Decimal, merchant: str) -> str:
        key = self._key("card-auth")
        self._move(customer, -amount)
        hold, replayed = services.hold_create(
            debit_account_id=self._id(customer), credit_account_id=self._id("2200-CARD-EUR"), amount=amount,
            idempotency_key=key, description=f"Card payment {merchant}",
            external_ref=f"AUTH-{self.day:02d}{self.seq:02d}", metadata={"merchant": merchant},
        )
        self.counts["holds replayed" if replayed else "holds placed"] += 1
        self.hold_ids[key] = hold.pk
        return key

    def card_capture(self, hold_key: str, customer: str, authorised: Decimal, amount: Decimal) -> None:
        key = self._key("card-capture")
        self._move(customer, authorised - amount)  # the unused part of the hold comes back
        self.card_unsettled += amount
        self._count(services.hold_post(hold_id=self.hold_ids[hold_key], idempotency_key=key, amount=amount), key)

    def card_settle(self) -> None:
        """The card scheme pays out what cardholders spent: settlement account to central bank."""
        if self.card_unsettled:
            self.transfer("2200-CARD-EUR", "1100-EUR", self.card_unsettled, "Card scheme net settlement",
                          label="card-settlement")
            self.card_unsettled = Decimal(0)


EUR_CUSTOMERS = ["2100-000001-EUR", "2100-000002-EUR", "2100-000003-EUR"]


def _run_plan(bank: _DemoBank) -> None:
    rng = bank.rng
    # Day 1: the bank is capitalised, treasury buys its foreign currency and bitcoin, customers
    # make their first deposits.
    bank.next_day()
    bank.transfer("1100-EUR", "3200-EUR", Decimal("5000000.00"), "Paid-in share capital", ref="CAPITAL-1")
    bank.fx("1100-EUR", "1200-USD", Decimal("400000.00"), "1.0850", "Treasury: fund USD nostro")
    bank.fx("1100-EUR", "1200-GBP", Decimal("250000.00"), "0.8560", "Treasury: fund GBP nostro")
    bank.fx("1100-EUR", "1300-BTC", Decimal("50000.00"), "0.00001075", "Treasury: bitcoin inventory")
    for code, amount in zip(EUR_CUSTOMERS, ("2500.00", "650.00", "12000.00"), strict=True):
        bank.transfer("1100-EUR", code, Decimal(amount), "Incoming SEPA transfer: opening deposit")
    bank.transfer("1200-GBP", "2100-000004-GBP", Decimal("2400.00"), "Incoming Faster Payment")
    bank.transfer("6100-EUR", "2100-000001-EUR", Decimal("25.00"), "Welcome bonus", label="bonus")

    open_auths: list[tuple[str, str, Decimal]] = []
    duplicate_fee = ""
    for day in range(2, HISTORY_DAYS + 1):
        bank.next_day()
        # Yesterday's card authorisations are captured, a few for slightly less (tips, fuel).
        for hold_key, customer, authorised in open_auths:
            captured = authorised if rng.random() < 0.7 else authorised - cents(rng.randint(1, 300))
            bank.card_capture(hold_key, customer, authorised, max(captured, Decimal("0.01")))
        open_auths = []
        for _ in range(rng.randint(2, 4)):
            customer = rng.choice(EUR_CUSTOMERS)
            amount = cents(rng.randint(350, 12000))
            if bank.can_spend(customer, amount):
                open_auths.append((bank.card_authorise(customer, amount, rng.choice(MERCHANTS)), customer, amount))
        if day % 3 == 0:
            bank.card_settle()
        if rng.random() < 0.6:
            customer = rng.choice(EUR_CUSTOMERS)
            amount = cents(rng.randint(2000, 30000))
            if bank.can_spend(customer, amount + Decimal("0.25")):
                bank.payment_out(customer, amount, rng.choice(PAYEES), fee=Decimal("0.25"))
        if rng.random() < 0.4:
            payer, payee = rng.sample(EUR_CUSTOMERS, 2)
            amount = cents(rng.randint(500, 8000))
            if bank.can_spend(payer, amount):
                bank.transfer(payer, payee, amount, "Transfer between customers")

        if day == 3:
            # Rent takes wallet 000002 into its overdraft (allowed down to -500.00).
            rent = bank.available["2100-000002-EUR"] + Decimal("240.00")
            bank.payment_out("2100-000002-EUR", rent, "Woonstichting De Key")
        elif day == 4:
            bank.transfer("2100-000004-GBP", "1200-GBP", Decimal("85.00"), "Outgoing Faster Payment: council tax")
        elif day == 5:
            bank.fx("2100-000001-EUR", "2100-000001-USD", Decimal("1000.00"), "1.0842", "Wallet 000001: EUR to USD")
        elif day == 6:
            bank.transfer("2100-000001-USD", "1200-USD", Decimal("320.00"), "Outgoing wire: US supplier invoice")
        elif day == 7:
            bank.fx("2100-000003-EUR", "2100-000003-BTC", Decimal("500.00"), "0.00001068", "Wallet 000003 buys bitcoin")
        elif day == 8:
            for code, salary in zip(EUR_CUSTOMERS, ("3250.00", "2480.00", "1900.00"), strict=True):
                bank.transfer("1100-EUR", code, Decimal(salary), "Incoming SEPA transfer: salary", label="salary")
        elif day == 9:
            for code in EUR_CUSTOMERS[:2]:
                bank.transfer(code, "4100-EUR", Decimal("4.50"), "Monthly account fee", label="fee")
            duplicate_fee = bank.transfer("2100-000002-EUR", "4100-EUR", Decimal("4.50"), "Monthly account fee",
                                          label="fee")
            bank.transfer("5100-EUR", "2100-000003-EUR", Decimal("3.12"), "Interest on savings", label="interest")
        elif day == 10:
            # The fee was charged twice: the second one is reversed (never edited or deleted).
            bank.reverse(duplicate_fee, "Duplicate monthly account fee", effects={"2100-000002-EUR": Decimal("4.50")})

    # Today: an authorisation still pending (a hotel pre-authorisation), left for the back office.
    for hold_key, customer, authorised in open_auths:
        bank.card_capture(hold_key, customer, authorised, authorised)
    bank.card_authorise("2100-000001-EUR", Decimal("180.00"), "Hotel Okura (pre-authorisation)")


def load_demo_ledger(*, stdout) -> None:
    """Open the demo chart of accounts and post the demo activity; a no-op when already loaded."""
    with transaction.atomic():
        _currencies_ensure()
        accounts, opened = _chart_ensure()
        dates = None
        if not BusinessDay.objects.exists():
            dates = _history_dates(timezone.localdate())
            # The first business date of a fresh ledger; postings would otherwise open today's.
            BusinessDay.objects.create(date=dates[0], opened_at=timezone.now())
        bank = _DemoBank(accounts, dates)
        _run_plan(bank)
    counts = bank.counts
    entries, holds = counts["posted"] + counts["replayed"], counts["holds placed"] + counts["holds replayed"]
    pending = Hold.objects.filter(status=Hold.Status.PENDING, idempotency_key__startswith=KEY_PREFIX).count()
    if dates:
        outcome = f"business dates {dates[0]} to {dates[-1]}"
    elif opened or counts["posted"] or counts["holds placed"]:
        outcome = "new items posted on the open business date"
    else:
        outcome = "already loaded, nothing posted"
    stdout.write(
        f"Ledger demo: {len(accounts)} accounts ({opened} new), {entries} entries ({counts['posted']} new), "
        f"{holds} card holds ({counts['holds placed']} new, {pending} pending); {outcome}."
    )
