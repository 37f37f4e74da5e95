"""Property-based tests: random sequences of transfers, reversals and holds keep every invariant."""

import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_banking.common.maker_checker import system_execution
from core_banking.common.money import allocate, check_fits, quantize
from core_banking.ledger import exceptions as exc
from core_banking.ledger.models import AccountType, BalanceRule
from core_banking.ledger.selectors import account_balance
from core_banking.ledger.services import (
    entry_reverse,
    hold_create,
    hold_post,
    hold_void,
    transfer,
)
from core_banking.ledger.verify import verify_ledger

from .conftest import make_account

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500.00"), places=2)
operation = st.one_of(
    st.tuples(st.just("transfer"), st.integers(0, 3), st.integers(0, 3), amounts),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(st.just("hold"), st.integers(0, 3), st.integers(0, 3), amounts),
    st.tuples(st.just("post_hold"), st.integers(0, 50), st.integers(1, 100)),
    st.tuples(st.just("void_hold"), st.integers(0, 50)),
)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=25))
def test_random_operations_keep_every_invariant(operations):
    source = make_account(type=AccountType.ASSET)
    customers = [make_account(rule=BalanceRule.NON_NEGATIVE) for _ in range(3)]
    customers.append(make_account(rule=BalanceRule.OVERDRAFT_LIMIT, overdraft=Decimal("100.00")))
    for customer in customers:
        transfer(debit_account_id=source.pk, credit_account_id=customer.pk, amount=Decimal("300.00"),
                 idempotency_key=uuid.uuid4().hex)
    entries, holds = [], []

    for op in operations:
        try:
            if op[0] == "transfer" and op[1] != op[2]:
                entries.append(transfer(debit_account_id=customers[op[1]].pk, credit_account_id=customers[op[2]].pk,
                                        amount=op[3], idempotency_key=uuid.uuid4().hex).entry.pk)
            elif op[0] == "reverse" and entries:
                with system_execution():  # the reversal mechanics, not maker-checker (tested elsewhere)
                    entry_reverse(entry_id=entries[op[1] % len(entries)], idempotency_key=uuid.uuid4().hex)
            elif op[0] == "hold" and op[1] != op[2]:
                holds.append(hold_create(debit_account_id=customers[op[1]].pk, credit_account_id=customers[op[2]].pk,
                                         amount=op[3], idempotency_key=uuid.uuid4().hex)[0])
            elif op[0] == "post_hold" and holds:
                hold = holds[op[1] % len(holds)]
                part = quantize(hold.amount * op[2] / 100, 2)
                if part > 0:
                    hold_post(hold_id=hold.pk, amount=part, idempotency_key=uuid.uuid4().hex)
            elif op[0] == "void_hold" and holds:
                hold_void(hold_id=holds[op[1] % len(holds)].pk)
        except (exc.InsufficientFunds, exc.AlreadyReversed, exc.HoldNotPending, exc.InvalidEntry):
            pass  # refusals are fine; what matters is that nothing inconsistent was written

        balances = [account_balance(account_id=c.pk) for c in customers]
        # money is conserved among the customers
        assert sum(b.posted for b in balances) == Decimal("1200.00")
        for customer, balance in zip(customers, balances, strict=True):
            assert balance.available == balance.posted - balance.held
            assert balance.available >= -customer.overdraft_limit

    report = verify_ledger()
    assert report.ok, report.problems


@given(
    total=st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=2),
    weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(any),
)
def test_allocation_always_sums_to_the_total_and_each_part_fits(total, weights):
    parts = allocate(total, weights, 2)

    assert sum(parts) == total
    assert all(check_fits(p, 2) == p for p in parts)
    exact = [total * w / sum(weights) for w in weights]
    assert all(abs(p - e) < Decimal("0.01") for p, e in zip(parts, exact, strict=True))


@given(amount=st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=6))
def test_quantize_rounds_half_even_once(amount):
    rounded = quantize(amount, 2)
    assert abs(rounded - amount) <= Decimal("0.005")
    assert rounded == amount.quantize(Decimal("0.01"), rounding="ROUND_HALF_EVEN")
