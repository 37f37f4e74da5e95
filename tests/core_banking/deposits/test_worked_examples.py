"""Term deposits as a banker would check them: exact amounts on every account after each step."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from core_banking.accounts.models import Account
from core_banking.deposits import eod, services
from core_banking.deposits.models import DepositAccrual, DepositStatusChange, TermDeposit
from core_banking.interest.gl import interest_accounts
from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger.models import JournalEntry
from core_banking.ledger.selectors import account_balance
from tests.core_banking.deposits.conftest import deposit_product, open_deposit, set_business_date

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]

D = dt.date


def posted(ledger_account_id: int) -> Decimal:
    return account_balance(account_id=ledger_account_id).posted


def gl(currency="EUR"):
    return interest_accounts(currency)


def run_eod(day: dt.date) -> tuple[int, int]:
    """The deposits' EOD steps for ``day`` over the whole population in one chunk each."""
    ids = list(eod.accrue_population(day))
    written = eod.accrue(day, ids[0], ids[-1]) if ids else 0
    due = list(eod.mature_population(day))
    settled = eod.mature(day, due[0], due[-1]) if due else 0
    return written, settled


def test_ten_thousand_euro_at_three_percent_for_six_months_pays_148_77(bank, funding, td_product):
    # Given 10,000.00 EUR at 3 % ACT/365F opened on 15 January 2025 for six months
    set_business_date(D(2025, 1, 15))
    deposit = open_deposit(td_product, funding, amount="10000.00", term=6)
    assert (deposit.start_date, deposit.maturity_date) == (D(2025, 1, 15), D(2025, 7, 15))
    assert posted(funding.ledger_account_id) == Decimal("40000.00")
    assert posted(deposit.account.ledger_account_id) == Decimal("10000.00")

    # When the end of day runs on the maturity date (every day since is caught up)
    set_business_date(D(2025, 7, 15))
    written, settled = run_eod(D(2025, 7, 15))

    # Then 181 days accrued 300/365 EUR a day and the interest, rounded once, is 148.77
    assert (written, settled) == (181, 1)
    day_amount = Decimal("0.821917808219178082")
    assert set(DepositAccrual.objects.values_list("amount", flat=True)) == {day_amount}
    deposit.refresh_from_db()
    assert deposit.accrued_interest == 181 * day_amount == Decimal("148.767123287671232842")
    assert deposit.status == TermDeposit.Status.MATURED
    assert (deposit.interest_paid, deposit.tax_withheld, deposit.payout_amount) == (
        Decimal("148.77"), Decimal("0.00"), Decimal("10148.77"))
    assert posted(funding.ledger_account_id) == Decimal("50148.77")
    assert posted(deposit.account.ledger_account_id) == Decimal("0")
    accounts = gl()
    assert posted(accounts.payable.pk) == Decimal("0")
    assert posted(accounts.expense.pk) == Decimal("148.77")
    assert Account.objects.get(pk=deposit.account_id).status == Account.Status.CLOSED
    assert list(deposit.status_changes.values_list("from_status", "to_status")) == [
        ("", "active"), ("active", "matured")]
    # A second run of the same end of day changes nothing.
    entries = JournalEntry.objects.count()
    assert run_eod(D(2025, 7, 15)) == (0, 0)
    assert JournalEntry.objects.count() == entries
    call_command("verify_ledger", verbosity=0)


def test_withholding_tax_is_rounded_once_on_the_rounded_interest(bank, funding):
    product = deposit_product(bank, code="TD-TAX", withholding_tax_rate=Decimal("0.25"))
    set_business_date(D(2025, 1, 15))
    deposit = open_deposit(product, funding, amount="10000.00", term=6)
    set_business_date(D(2025, 7, 15))
    run_eod(D(2025, 7, 15))
    deposit.refresh_from_db()
    # 148.77 * 0.25 = 37.1925 -> 37.19
    assert (deposit.interest_paid, deposit.tax_withheld, deposit.payout_amount) == (
        Decimal("148.77"), Decimal("37.19"), Decimal("10111.58"))
    assert posted(funding.ledger_account_id) == Decimal("50111.58")
    assert posted(gl().tax_payable.pk) == Decimal("37.19")
    call_command("verify_ledger", verbosity=0)


def test_the_daily_accrual_posts_the_running_total_rounded_once(bank, funding, td_product):
    set_business_date(D(2025, 3, 3))
    deposit = open_deposit(td_product, funding, amount="10000.00", term=6)
    payable = gl().payable.pk
    eod.accrue(D(2025, 3, 3), deposit.pk, deposit.pk)
    assert posted(payable) == Decimal("0.82")  # 0.8219...
    set_business_date(D(2025, 3, 4))
    eod.accrue(D(2025, 3, 4), deposit.pk, deposit.pk)
    assert posted(payable) == Decimal("1.64")  # 1.6438..., not 0.82 + 0.82 rounded twice
    set_business_date(D(2025, 3, 5))
    eod.accrue(D(2025, 3, 5), deposit.pk, deposit.pk)
    assert posted(payable) == Decimal("2.47")  # 2.4657...
    deposit.refresh_from_db()
    assert deposit.accrued_posted == Decimal("2.47") and deposit.accrued_through == D(2025, 3, 5)
    assert posted(gl().expense.pk) == Decimal("2.47")


def test_the_monday_end_of_day_catches_up_the_weekend(bank, funding, td_product):
    # Given a deposit opened on Friday 7 March 2025 and accrued that evening
    set_business_date(D(2025, 3, 7))
    deposit = open_deposit(td_product, funding)
    assert eod.accrue(D(2025, 3, 7), deposit.pk, deposit.pk) == 1
    # When Monday's end of day runs (no end of day on Saturday or Sunday)
    set_business_date(D(2025, 3, 10))
    assert list(eod.accrue_population(D(2025, 3, 10))) == [deposit.pk]
    assert eod.accrue(D(2025, 3, 10), deposit.pk, deposit.pk) == 3
    # Then Saturday, Sunday and Monday each have their row, written by Monday's end of day
    rows = list(DepositAccrual.objects.order_by("accrual_date").values_list("accrual_date", "business_date"))
    assert rows == [(D(2025, 3, 7), D(2025, 3, 7)), (D(2025, 3, 8), D(2025, 3, 10)),
                    (D(2025, 3, 9), D(2025, 3, 10)), (D(2025, 3, 10), D(2025, 3, 10))]
    assert list(eod.accrue_population(D(2025, 3, 10))) == []
    assert posted(gl().payable.pk) == Decimal("3.29")  # 4 x 0.8219... = 3.2876...


def test_accruing_twice_changes_nothing_the_second_time(bank, funding, td_product):
    set_business_date(D(2025, 3, 3))
    first = open_deposit(td_product, funding, amount="10000.00", term=6)
    second = open_deposit(td_product, funding, amount="2500.00", term=12)
    set_business_date(D(2025, 3, 10))
    assert eod.accrue(D(2025, 3, 10), first.pk, second.pk) == 16
    entries = list(JournalEntry.objects.values_list("id", "idempotency_key"))
    payable = posted(gl().payable.pk)
    assert eod.accrue(D(2025, 3, 10), first.pk, second.pk) == 0
    assert list(JournalEntry.objects.values_list("id", "idempotency_key")) == entries
    assert posted(gl().payable.pk) == payable == Decimal("6.58") + Decimal("1.64")
    assert DepositAccrual.objects.count() == 16
    # The chunk's rows were posted as one entry for the currency.
    accrual_entries = JournalEntry.objects.filter(idempotency_key__startswith="deposits:accrue:")
    assert [e.idempotency_key for e in accrual_entries] == [f"deposits:accrue:2025-03-10:{first.pk}:EUR"]


def test_a_later_run_of_a_chunk_with_new_work_posts_under_a_fresh_key(bank, funding, td_product):
    set_business_date(D(2025, 3, 3))
    first = open_deposit(td_product, funding, amount="1000.00")
    eod.accrue(D(2025, 3, 3), first.pk, first.pk + 10)
    second = open_deposit(td_product, funding, amount="1000.00", term=7)  # same day, after the chunk ran
    assert eod.accrue(D(2025, 3, 3), first.pk, first.pk + 10) == 1
    keys = sorted(JournalEntry.objects.filter(idempotency_key__startswith="deposits:accrue:")
                  .values_list("idempotency_key", flat=True))
    assert keys == [f"deposits:accrue:2025-03-03:{first.pk}:EUR", f"deposits:accrue:2025-03-03:{first.pk}:EUR#2"]
    assert second.accruals.count() == 1


def test_rolling_over_the_principal_pays_the_interest_out(bank, funding):
    product = deposit_product(bank, code="TD-ROLL", default_rate=Decimal("0.03"))
    set_business_date(D(2025, 1, 15))
    deposit = open_deposit(product, funding, amount="10000.00", term=6, instruction="roll_principal")
    # The product's rate changes before maturity: the successor takes the new rate.
    product.default_rate = Decimal("0.025")
    product.save(update_fields=["default_rate"])
    set_business_date(D(2025, 7, 15))
    assert run_eod(D(2025, 7, 15)) == (181, 1)
    deposit.refresh_from_db()
    successor = deposit.successor
    assert deposit.status == TermDeposit.Status.ROLLED_OVER
    assert (deposit.interest_paid, deposit.payout_amount) == (Decimal("148.77"), Decimal("148.77"))
    assert posted(funding.ledger_account_id) == Decimal("40148.77")
    assert posted(deposit.account.ledger_account_id) == Decimal("10000.00")
    assert (successor.account_id, successor.principal, successor.rate) == (
        deposit.account_id, Decimal("10000.00"), Decimal("0.025"))
    assert (successor.start_date, successor.maturity_date, successor.instruction) == (
        D(2025, 7, 15), D(2026, 1, 15), "roll_principal")
    assert successor.status == TermDeposit.Status.ACTIVE
    assert list(DepositStatusChange.objects.filter(deposit=successor).values_list("to_status", "reason")) == [
        ("active", f"rolled over from {deposit.number}")]
    # The successor accrues from the maturity date on, at its own rate.
    set_business_date(D(2025, 7, 16))
    assert run_eod(D(2025, 7, 16)) == (2, 0)
    assert set(successor.accruals.values_list("amount", flat=True)) == {Decimal("0.684931506849315068")}
    call_command("verify_ledger", verbosity=0)


def test_rolling_over_principal_and_interest_capitalises_the_net_interest(bank, funding):
    product = deposit_product(bank, code="TD-ROLLALL", withholding_tax_rate=Decimal("0.25"))
    set_business_date(D(2025, 1, 15))
    deposit = open_deposit(product, funding, amount="10000.00", term=6, instruction="roll_all")
    set_business_date(D(2025, 7, 17))  # the maturity date (Tuesday 15th) had no end of day of its own
    assert run_eod(D(2025, 7, 17)) == (181, 1)
    deposit.refresh_from_db()
    successor = deposit.successor
    assert (deposit.status, deposit.interest_paid, deposit.tax_withheld, deposit.payout_amount) == (
        "rolled_over", Decimal("148.77"), Decimal("37.19"), Decimal("0.00"))
    assert successor.principal == Decimal("10111.58")
    assert posted(deposit.account.ledger_account_id) == Decimal("10111.58")
    assert posted(funding.ledger_account_id) == Decimal("40000.00")
    assert posted(gl().payable.pk) == Decimal("0")
    # The successor starts on the maturity date; the next end of day catches its days up.
    assert successor.start_date == D(2025, 7, 15)
    set_business_date(D(2025, 7, 18))
    assert run_eod(D(2025, 7, 18)) == (4, 0)
    call_command("verify_ledger", verbosity=0)


@pytest.mark.parametrize(("penalty", "days_held", "interest", "expected_penalty", "payout"), [
    # 30 days' interest forfeited after 100 days: 82.19 accrued, 24.66 penalty.
    ({"penalty_days": 30}, 100, "82.19", "24.66", "10057.53"),
    # Half the accrued interest: 41.0958... -> 41.10.
    ({"penalty_rate": Decimal("0.5")}, 100, "82.19", "41.10", "10041.09"),
    # 90 days' interest after 30 days is capped at what accrued: the principal is untouched.
    ({"penalty_days": 90}, 30, "24.66", "24.66", "10000.00"),
    # ... unless the product says the penalty may reach the principal: 73.97 forfeited.
    ({"penalty_days": 90, "penalty_may_touch_principal": True}, 30, "24.66", "73.97", "9950.69"),
])
def test_early_withdrawal_pays_principal_and_interest_less_the_penalty(bank, funding, penalty, days_held, interest,
                                                                       expected_penalty, payout):
    product = deposit_product(bank, code="TD-EARLY", **penalty)
    start = D(2025, 1, 15)
    set_business_date(start)
    deposit = open_deposit(product, funding, amount="10000.00", term=12)
    set_business_date(start + dt.timedelta(days=days_held))
    withdrawn = services.deposit_withdraw_early(deposit_id=deposit.pk, reason="customer needs the money")
    assert withdrawn.status == TermDeposit.Status.WITHDRAWN_EARLY
    assert (withdrawn.interest_paid, withdrawn.penalty, withdrawn.payout_amount) == (
        Decimal(interest), Decimal(expected_penalty), Decimal(payout))
    assert deposit.accruals.count() == days_held  # caught up to the day before the withdrawal
    assert posted(funding.ledger_account_id) == Decimal("40000.00") + Decimal(payout)
    assert posted(gl().penalty_income.pk) == Decimal(expected_penalty)
    assert posted(gl().payable.pk) == Decimal("0")
    assert posted(deposit.account.ledger_account_id) == Decimal("0")
    assert Account.objects.get(pk=deposit.account_id).status == Account.Status.CLOSED
    assert withdrawn.status_changes.last().reason == "customer needs the money"
    call_command("verify_ledger", verbosity=0)


def test_early_withdrawal_refusals_change_nothing(bank, funding):
    locked = deposit_product(bank, code="TD-LOCKED", early_withdrawal_allowed=False)
    open_product = deposit_product(bank, code="TD-OPEN")
    set_business_date(D(2025, 1, 15))
    fixed = open_deposit(locked, funding)
    flexible = open_deposit(open_product, funding)
    set_business_date(D(2025, 2, 15))
    entries = JournalEntry.objects.count()
    with pytest.raises(Exception) as refused:
        services.deposit_withdraw_early(deposit_id=fixed.pk, reason="please")
    assert refused.value.code == "early_withdrawal_not_allowed"
    with pytest.raises(Exception) as refused:
        services.deposit_withdraw_early(deposit_id=flexible.pk, reason="  ")
    assert refused.value.code == "reason_required"
    assert JournalEntry.objects.count() == entries
    assert not DepositAccrual.objects.exists()
    assert TermDeposit.objects.filter(status="active").count() == 2
    # At or after maturity the end of day pays out; withdrawal is refused.
    set_business_date(D(2025, 7, 15))
    with pytest.raises(Exception) as refused:
        services.deposit_withdraw_early(deposit_id=flexible.pk, reason="now")
    assert refused.value.code == "deposit_matured"


def test_opening_without_the_funds_is_refused_by_the_ledger_and_writes_nothing(bank, funding, td_product):
    set_business_date(D(2025, 1, 15))
    accounts_before = Account.objects.count()
    with pytest.raises(ledger_exc.InsufficientFunds):
        open_deposit(td_product, funding, amount="50000.01")
    assert not TermDeposit.objects.exists()
    assert Account.objects.count() == accounts_before
    assert posted(funding.ledger_account_id) == Decimal("50000.00")


@pytest.mark.parametrize(("options", "code"), [
    ({"amount": "99.99"}, "deposit_amount_out_of_range"),
    ({"term": 61}, "deposit_term_not_allowed"),
    ({"amount": "100.001"}, "invalid_amount"),
    ({"rate": Decimal("1.5")}, "invalid_deposit"),
    ({"instruction": "gamble"}, "invalid_deposit"),
])
def test_opening_outside_the_product_is_refused(bank, funding, td_product, options, code):
    set_business_date(D(2025, 1, 15))
    with pytest.raises(Exception) as refused:
        open_deposit(td_product, funding, **options)
    assert refused.value.code == code
    assert not TermDeposit.objects.exists()


def test_allowed_terms_restrict_the_range(bank, funding):
    product = deposit_product(bank, code="TD-LIST", allowed_terms=[12, 3, 6])
    assert product.allowed_terms == [3, 6, 12]
    set_business_date(D(2025, 1, 15))
    with pytest.raises(Exception) as refused:
        open_deposit(product, funding, term=4)
    assert refused.value.code == "deposit_term_not_allowed"
    assert open_deposit(product, funding, term=3).maturity_date == D(2025, 4, 15)


def test_an_opening_replays_with_its_key_and_refuses_another_payload(bank, funding, td_product):
    set_business_date(D(2025, 1, 15))
    first, replayed = services.deposit_open(product_id=td_product.pk, funding_account_id=funding.pk,
                                            amount=Decimal("1000.00"), term=6, idempotency_key="k")
    again, replayed_again = services.deposit_open(product_id=td_product.pk, funding_account_id=funding.pk,
                                                  amount=Decimal("1000.00"), term=6, idempotency_key="k")
    assert (replayed, replayed_again, again.pk) == (False, True, first.pk)
    with pytest.raises(ledger_exc.IdempotencyConflict):
        services.deposit_open(product_id=td_product.pk, funding_account_id=funding.pk, amount=Decimal("1001.00"),
                              term=6, idempotency_key="k")
    assert TermDeposit.objects.count() == 1
    assert posted(funding.ledger_account_id) == Decimal("49000.00")


def test_maturity_to_a_frozen_account_waits_and_the_rest_of_the_chunk_settles(bank, ada, funding, td_product,
                                                                              current_product):
    from core_banking.accounts.services import account_transition
    from tests import banking

    other = banking.account(ada, current_product)
    banking.fund(bank, other, "1000.00")
    set_business_date(D(2025, 1, 15))
    blocked = open_deposit(td_product, funding, amount="1000.00", term=1)
    fine = open_deposit(td_product, other, amount="1000.00", term=1)
    account_transition(account_id=funding.pk, action="freeze", reason="investigation")
    set_business_date(D(2025, 2, 15))
    eod.accrue(D(2025, 2, 15), blocked.pk, fine.pk)
    with pytest.raises(Exception) as failed:
        eod.mature(D(2025, 2, 15), blocked.pk, fine.pk)
    assert failed.value.code == "deposit_maturity_failed"
    assert failed.value.extra["failures"] == [{"deposit": blocked.pk, "code": "account_frozen",
                                               "detail": failed.value.extra["failures"][0]["detail"]}]
    blocked.refresh_from_db()
    fine.refresh_from_db()
    assert (blocked.status, fine.status) == ("active", "matured")
    # Once the account is unfrozen, a re-run settles exactly the one left.
    account_transition(account_id=funding.pk, action="unfreeze", reason="cleared")
    assert eod.mature(D(2025, 2, 15), blocked.pk, fine.pk) == 1
    blocked.refresh_from_db()
    assert blocked.status == "matured"
    call_command("verify_ledger", verbosity=0)
