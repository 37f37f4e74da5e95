"""Term-deposit writes: products, opening, maturity (pay out or roll over), early withdrawal.

Each service owns its transaction: it locks the deposit row, checks who may act, posts exactly
one journal entry through ``core_banking.ledger.services`` (with a deterministic idempotency
key), fires the state-machine transition, and writes the history row and the audit event in the
same transaction; a refusal changes nothing.

Ledger entries (debit positive), all in the deposit's currency, GL accounts from
``core_banking.interest.gl.interest_accounts``:

* opening:      Dr funding account, Cr deposit account: the principal (``deposit:<n>:open``);
* accrual:      Dr interest expense, Cr accrued interest payable (``accrual.py``);
* settlement:   Dr accrued interest payable (what the ledger holds for the deposit), Dr/Cr
  interest expense (the rounding difference to the interest rounded once, normally 0),
  Cr withholding tax payable (the tax), Cr penalty income (an early withdrawal's penalty),
  Dr deposit account (the principal, when it leaves), Cr funding account (what is paid out) or
  Cr deposit account (interest rolled over) (``deposit:<n>:maturity`` / ``:early-withdrawal``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from core_banking.accounts import services as accounts
from core_banking.accounts.models import Product
from core_banking.audit.services import audit_record, to_jsonable
from core_banking.common.actors import user_or_none
from core_banking.common.errors import PermissionRefused, TransitionNotAllowed
from core_banking.common.idempotency import idempotency_scope_for, replayed, run_idempotent, unique_key
from core_banking.common.maker_checker import system_execution
from core_banking.common.money import check_fits, quantize, to_decimal
from core_banking.customers.exceptions import CustomerNotActive
from core_banking.customers.models import Customer
from core_banking.interest.daycount import Convention
from core_banking.interest.gl import interest_accounts
from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger import services as ledger
from core_banking.ledger.engine import Leg
from core_banking.ledger.hashing import digest
from core_banking.ledger.models import Currency, JournalEntry
from core_banking.ledger.services import business_date_open

from . import calc, transitions
from . import exceptions as exc
from .accrual import accrue_range
from .models import DepositAccrual, DepositProduct, DepositStatusChange, MaturityInstruction, TermDeposit, TermUnit

OPEN_PERMISSION = "deposits.open_termdeposit"
WITHDRAW_PERMISSION = transitions.WITHDRAW_EARLY.permission
ADD_PRODUCT_PERMISSION = "deposits.add_depositproduct"


def _require_perm(actor, permission: str) -> None:
    """A signed-in person or API client needs the permission; the system (no actor) acts freely."""
    user = user_or_none(actor)
    if user is not None and not user.has_perm(permission):
        raise PermissionRefused(f"you lack the permission {permission}", permission=permission)


def _rate(value: Any, name: str) -> Decimal:
    rate = to_decimal(value)
    if not (0 <= rate < 1):
        raise exc.InvalidDeposit(f"{name} {rate} must be a fraction in [0, 1): 0.03 is 3 %", field=name)
    if rate != rate.quantize(Decimal("1e-8")):
        raise exc.InvalidDeposit(f"{name} {rate} has more than 8 decimal places", field=name)
    return rate


# --- products ------------------------------------------------------------------------------


def deposit_product_validate(product: DepositProduct) -> None:
    account_product = product.account_product
    if account_product.kind != Product.Kind.TERM_DEPOSIT:
        raise exc.InvalidDepositProduct(f"accounts product {account_product.code} is not a term-deposit product")
    if account_product.currency_id != product.currency_id:
        raise exc.InvalidDepositProduct(
            f"accounts product {account_product.code} is in {account_product.currency_id}, not {product.currency_id}")
    if account_product.overdraft_allowed:
        raise exc.InvalidDepositProduct("a term deposit's own account has no overdraft")
    if product.convention not in [c.value for c in Convention]:
        raise exc.InvalidDepositProduct(f"unknown day-count convention {product.convention!r}")
    if product.term_unit not in TermUnit.values:
        raise exc.InvalidDepositProduct(f"unknown term unit {product.term_unit!r}")
    if not (1 <= product.min_term <= product.max_term):
        raise exc.InvalidDepositProduct("the terms must satisfy 1 <= min_term <= max_term")
    terms = product.allowed_terms or []
    if not isinstance(terms, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in terms):
        raise exc.InvalidDepositProduct("allowed_terms is a list of whole numbers of term units")
    if any(not (product.min_term <= t <= product.max_term) for t in terms):
        raise exc.InvalidDepositProduct("every allowed term lies between min_term and max_term")
    product.allowed_terms = sorted(set(terms))
    exponent = Currency.objects.get(code=product.currency_id).exponent
    product.min_amount = check_fits(to_decimal(product.min_amount), exponent, currency=product.currency_id)
    if product.min_amount <= 0:
        raise exc.InvalidDepositProduct("the minimum amount is positive")
    if product.max_amount is not None:
        product.max_amount = check_fits(to_decimal(product.max_amount), exponent, currency=product.currency_id)
        if product.max_amount < product.min_amount:
            raise exc.InvalidDepositProduct("the maximum amount is below the minimum")
    for name in ("default_rate", "withholding_tax_rate"):
        try:
            setattr(product, name, _rate(getattr(product, name), name))
        except exc.InvalidDeposit as error:
            raise exc.InvalidDepositProduct(error.detail, field=name) from None
    penalty_rate = to_decimal(product.penalty_rate)
    if not (0 <= penalty_rate <= 1):
        raise exc.InvalidDepositProduct("penalty_rate is a fraction of the accrued interest in [0, 1]")


@transaction.atomic
def deposit_product_create(*, actor=None, **fields) -> DepositProduct:
    _require_perm(actor, ADD_PRODUCT_PERMISSION)
    if "account_product_id" not in fields and "account_product" not in fields:
        raise exc.InvalidDepositProduct("a deposit product names its accounts product", field="account_product_id")
    product = DepositProduct(**fields)
    if DepositProduct.objects.filter(code=product.code).exists():
        raise exc.InvalidDepositProduct(f"a deposit product with code {product.code!r} already exists", field="code")
    if not Product.objects.filter(pk=product.account_product_id).exists():
        raise exc.InvalidDepositProduct(f"accounts product {product.account_product_id} does not exist",
                                        field="account_product_id")
    deposit_product_validate(product)
    product.save()
    audit_record(action="deposit_product.created", obj=product, actor=actor,
                 after={"code": product.code, "currency": product.currency_id, "convention": product.convention,
                        "default_rate": product.default_rate, "terms": [product.min_term, product.max_term],
                        "term_unit": product.term_unit})
    return product


# --- opening -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenRequest:
    product_id: int
    funding_account_id: int
    amount: Decimal
    term: int
    instruction: str
    rate: Decimal | None

    def fingerprint(self) -> str:
        return digest({k: to_jsonable(v) for k, v in self.__dict__.items()})


def _number() -> str:
    return "TD" + secrets.token_hex(5).upper()


def deposit_open(*, funding_account_id: int, amount: Decimal, term: int, idempotency_key: str,
                 product_id: int | None = None, product_code: str = "",
                 instruction: str = MaturityInstruction.PAY_OUT, rate: Decimal | None = None,
                 actor=None) -> tuple[TermDeposit, bool]:
    """Open a deposit funded from ``funding_account_id``: its own account under the product's
    accounts product, and the principal moved there in one entry. Returns (deposit, replayed)."""
    _require_perm(actor, OPEN_PERMISSION)
    if not idempotency_key:
        raise exc.InvalidDeposit("opening a deposit needs an idempotency key", field="idempotency_key")
    product = DepositProduct.objects.filter(
        **({"pk": product_id} if product_id is not None else {"code": product_code})).first()
    if product is None:
        raise exc.DepositProductNotFound(f"deposit product {product_id or product_code!r} does not exist")
    if instruction not in MaturityInstruction.values:
        raise exc.InvalidDeposit(f"unknown maturity instruction {instruction!r}", field="instruction")
    request = OpenRequest(product_id=product.pk, funding_account_id=int(funding_account_id),
                          amount=to_decimal(amount), term=int(term), instruction=instruction,
                          rate=None if rate is None else to_decimal(rate))
    scope = idempotency_scope_for(user_or_none(actor))
    return run_idempotent(lambda: _open(request, product, scope, idempotency_key, actor))


def _check_terms(product: DepositProduct, request: OpenRequest) -> tuple[Decimal, Decimal]:
    exponent = product.currency.exponent
    amount = check_fits(request.amount, exponent, currency=product.currency_id)
    if amount <= 0:
        raise ledger_exc.InvalidAmount("a deposit amount must be positive")
    if amount < product.min_amount or (product.max_amount is not None and amount > product.max_amount):
        upper = "no maximum" if product.max_amount is None else f"at most {quantize(product.max_amount, exponent)}"
        raise exc.AmountOutOfRange(
            f"product {product.code} takes at least {quantize(product.min_amount, exponent)} {product.currency_id} "
            f"and {upper}", minimum=str(quantize(product.min_amount, exponent)))
    allowed = product.allowed_terms or []
    if not (product.min_term <= request.term <= product.max_term) or (allowed and request.term not in allowed):
        offered = ", ".join(map(str, allowed)) if allowed else f"{product.min_term} to {product.max_term}"
        raise exc.TermNotAllowed(f"product {product.code} offers terms of {offered} {product.term_unit}",
                                 term=request.term)
    rate = product.default_rate if request.rate is None else _rate(request.rate, "rate")
    return amount, rate


def _open(request: OpenRequest, product: DepositProduct, scope: str, key: str, actor) -> tuple[TermDeposit, bool]:
    """Runs inside run_idempotent's transaction."""
    existing = replayed(TermDeposit.objects, scope=scope, key=key, request_hash=request.fingerprint(), what="deposit")
    if existing is not None:
        return existing, True
    if not product.is_active:
        raise exc.DepositProductNotAvailable(f"deposit product {product.code} opens no new deposits")
    amount, rate = _check_terms(product, request)
    funding = accounts.accounts_lock_for_payment([request.funding_account_id])[request.funding_account_id]
    funding.require_debitable()
    if funding.customer.status != Customer.Status.ACTIVE:
        raise CustomerNotActive(f"customer {funding.customer.number} is {funding.customer.status}")
    if funding.currency_id != product.currency_id:
        raise ledger_exc.CurrencyMismatch(
            f"product {product.code} is in {product.currency_id} but account {funding.iban} holds "
            f"{funding.currency_id}")
    if not funding.product.is_deposit or funding.product.kind == Product.Kind.TERM_DEPOSIT:
        raise exc.InvalidDeposit(f"account {funding.iban} cannot fund a term deposit", field="funding_account_id")
    start = business_date_open()
    number = _number()
    account = accounts.account_open(customer_id=funding.customer_id, product_id=product.account_product_id,
                                    name=f"Term deposit {number}", actor=actor)
    deposit = TermDeposit(
        number=number, customer_id=funding.customer_id, product=product, account=account, funding_account=funding,
        currency_id=product.currency_id, principal=amount, rate=rate, convention=product.convention,
        term_unit=product.term_unit, term=request.term, start_date=start,
        maturity_date=calc.maturity_date(start, request.term, product.term_unit), instruction=request.instruction,
        withholding_tax_rate=product.withholding_tax_rate, early_withdrawal_allowed=product.early_withdrawal_allowed,
        penalty_days=product.penalty_days, penalty_rate=product.penalty_rate,
        penalty_may_touch_principal=product.penalty_may_touch_principal, idempotency_scope=scope,
        idempotency_key=key, request_hash=request.fingerprint(), created_by=user_or_none(actor),
    )
    # The principal moves first (insufficient funds is the ledger's refusal); a concurrent
    # request with the same key then waits on the unique key below and rolls all of it back.
    posted = ledger.transfer(
        debit_account_id=funding.ledger_account_id, credit_account_id=account.ledger_account_id, amount=amount,
        idempotency_key=f"deposit:{number}:open", actor=user_or_none(actor), external_ref=number,
        description=f"Term deposit {number} opened", metadata={"deposit": number, "deposits": "open"},
    )
    deposit.opening_entry_id = posted.entry_id
    with unique_key("deposit_idempotency"):
        deposit.save()
    # The principal leaves its account only through this app's services (maturity, withdrawal).
    accounts.account_transition(account_id=account.pk, action="block_debits", actor=actor,
                                reason=f"term deposit {number}: principal leaves only at maturity or withdrawal")
    _history(deposit, "", actor, reason="opened")
    audit_record(action="deposit.opened", obj=deposit, actor=actor,
                 after={"number": number, "principal": amount, "rate": rate, "term": request.term,
                        "term_unit": product.term_unit, "start_date": start, "maturity_date": deposit.maturity_date,
                        "instruction": request.instruction, "funding_account": funding.iban,
                        "account": account.iban})
    return deposit, False


def _history(deposit: TermDeposit, from_status: str, actor, *, reason: str) -> None:
    DepositStatusChange.objects.create(deposit=deposit, from_status=from_status, to_status=deposit.status,
                                       reason=reason[:500], actor=user_or_none(actor))


# --- accrual catch-up, settlement ------------------------------------------------------------


def deposit_lock(deposit_id: int) -> TermDeposit:
    deposit = (TermDeposit.objects.select_for_update(of=("self",))
               .select_related("currency", "account", "funding_account", "product").filter(pk=deposit_id).first())
    if deposit is None:
        raise exc.DepositNotFound(f"term deposit {deposit_id} does not exist")
    return deposit


def _catch_up(deposit: TermDeposit, *, through: dt.date, business_date: dt.date) -> TermDeposit:
    """Accrue the deposit's days not yet accrued up to ``through`` (the end of day may not have
    run for them yet: a weekend, or today's withdrawal), then read it again."""
    if through >= deposit.start_date:
        accrue_range(first_id=deposit.pk, last_id=deposit.pk, through=through, business_date=business_date,
                     key_base=f"deposits:accrue-deposit:{deposit.number}:{through.isoformat()}")
        deposit.refresh_from_db(fields=["accrued_interest", "accrued_posted", "accrued_through"])
    return deposit


def _accrual_amounts(deposit: TermDeposit) -> list[Decimal]:
    return list(DepositAccrual.objects.filter(deposit=deposit).values_list("amount", flat=True))


def _post_settlement(deposit: TermDeposit, settlement: calc.Settlement, *, principal_out: Decimal,
                     to_funding: Decimal, to_deposit_account: Decimal, suffix: str, actor,
                     value_date: dt.date | None = None) -> JournalEntry | None:
    currency = deposit.currency_id
    gl = interest_accounts(currency)
    sums: dict[int, Decimal] = defaultdict(Decimal)
    sums[gl.payable.pk] += deposit.accrued_posted
    sums[gl.expense.pk] += settlement.interest - deposit.accrued_posted
    sums[gl.tax_payable.pk] -= settlement.tax
    sums[gl.penalty_income.pk] -= settlement.penalty
    sums[deposit.account.ledger_account_id] += principal_out - to_deposit_account
    sums[deposit.funding_account.ledger_account_id] -= to_funding
    legs = [Leg(account_id, amount, currency) for account_id, amount in sums.items() if amount != 0]
    if not legs:
        return None
    result = ledger.entry_post(
        postings=legs, idempotency_key=f"deposit:{deposit.number}:{suffix}", actor=user_or_none(actor),
        value_date=value_date,
        external_ref=deposit.number, description=f"Term deposit {deposit.number}: {suffix.replace('-', ' ')}",
        metadata={"deposit": deposit.number, "deposits": suffix, "interest": str(settlement.interest),
                  "tax": str(settlement.tax), "penalty": str(settlement.penalty)},
    )
    return result.entry


def _lock_funding(deposit: TermDeposit):
    """Share-lock the funding account as a payment would: a freeze or close waits for us."""
    return accounts.accounts_lock_for_payment([deposit.funding_account_id])[deposit.funding_account_id]


def _close_account(deposit: TermDeposit, actor, reason: str) -> None:
    # The deposit's own internal account closes with it: no person asks for that, so it does not
    # wait for an approval (the deposit's maturity or withdrawal is the controlled action).
    with system_execution():
        accounts.account_close(account_id=deposit.account_id, actor=actor, reason=reason)


# --- early withdrawal ------------------------------------------------------------------------


@transaction.atomic
def deposit_withdraw_early(*, deposit_id: int, reason: str, actor=None) -> TermDeposit:
    """Pay the principal and the interest accrued to yesterday, less the penalty, to the funding
    account, and close the deposit's account (penalty rule: ``calc``)."""
    _require_perm(actor, WITHDRAW_PERMISSION)
    reason = (reason or "").strip()
    if transitions.WITHDRAW_EARLY.reason_required and not reason:
        raise exc.ReasonRequired("an early withdrawal needs a reason")
    deposit = deposit_lock(deposit_id)
    if deposit.status != TermDeposit.Status.ACTIVE:
        raise TransitionNotAllowed(f"term deposit {deposit.number} is {deposit.status}; it cannot be withdrawn",
                                   status_from=deposit.status, action=transitions.WITHDRAW_EARLY.name)
    if not deposit.early_withdrawal_allowed:
        raise exc.EarlyWithdrawalNotAllowed(f"term deposit {deposit.number} cannot be withdrawn before maturity")
    today = business_date_open()
    if today >= deposit.maturity_date:
        raise exc.DepositMatured(f"term deposit {deposit.number} matured on {deposit.maturity_date.isoformat()}; "
                                 "the end of day pays it out")
    _lock_funding(deposit).require_creditable()
    deposit = _catch_up(deposit, through=today - calc.ONE_DAY, business_date=today)
    exponent = deposit.currency.exponent
    penalty = calc.early_withdrawal_penalty(
        principal=deposit.principal, rate=deposit.rate, convention=deposit.convention, withdrawal_date=today,
        accrued=deposit.accrued_interest, exponent=exponent, penalty_days=deposit.penalty_days,
        penalty_rate=deposit.penalty_rate, may_touch_principal=deposit.penalty_may_touch_principal)
    settlement = calc.settle(principal=deposit.principal, accrued=_accrual_amounts(deposit), exponent=exponent,
                             withholding_tax_rate=deposit.withholding_tax_rate, penalty=penalty)
    entry = _post_settlement(deposit, settlement, principal_out=deposit.principal, to_funding=settlement.payout,
                             to_deposit_account=Decimal(0), suffix="early-withdrawal", actor=actor)
    before = deposit.status
    deposit.withdraw_early(on=today, at=timezone.now(), interest=settlement.interest, tax=settlement.tax,
                           penalty=settlement.penalty, payout=settlement.payout, entry=entry, reason=reason)
    deposit.save()
    _close_account(deposit, actor, f"term deposit {deposit.number} withdrawn early")
    _history(deposit, before, actor, reason=reason)
    audit_record(action=transitions.WITHDRAW_EARLY.audit_action, obj=deposit, actor=actor, reason=reason,
                 before={"status": before}, changes=["status"],
                 after={"status": deposit.status, "interest": settlement.interest, "penalty": settlement.penalty,
                        "tax": settlement.tax, "payout": settlement.payout})
    return deposit


# --- maturity --------------------------------------------------------------------------------


@transaction.atomic
def deposit_mature(*, deposit_id: int, business_date: dt.date, actor=None) -> TermDeposit | None:
    """Settle a deposit whose maturity date is on or before ``business_date``, per its
    instruction. Returns the deposit (or its successor when it rolled over); None when there was
    nothing to do (not due, or already settled): a re-run changes nothing."""
    deposit = deposit_lock(deposit_id)
    if deposit.status != TermDeposit.Status.ACTIVE or deposit.maturity_date > business_date:
        return None
    deposit = _catch_up(deposit, through=deposit.maturity_date - calc.ONE_DAY, business_date=business_date)
    settlement = calc.settle(principal=deposit.principal, accrued=_accrual_amounts(deposit),
                             exponent=deposit.currency.exponent, withholding_tax_rate=deposit.withholding_tax_rate)
    net_interest = settlement.interest - settlement.tax
    instruction = deposit.instruction
    if instruction == MaturityInstruction.PAY_OUT or (
            instruction == MaturityInstruction.ROLL_PRINCIPAL and net_interest > 0):
        _lock_funding(deposit).require_creditable()  # money goes there
    before = deposit.status
    now = timezone.now()
    if instruction == MaturityInstruction.PAY_OUT:
        entry = _post_settlement(deposit, settlement, principal_out=deposit.principal, to_funding=settlement.payout,
                                 to_deposit_account=Decimal(0), suffix="maturity", actor=actor,
                                 value_date=business_date)
        deposit.mature(on=business_date, at=now, interest=settlement.interest, tax=settlement.tax,
                       payout=settlement.payout, entry=entry)
        deposit.save()
        _close_account(deposit, actor, f"term deposit {deposit.number} matured")
        result = deposit
        spec = transitions.BY_NAME["mature"]
        reason = spec.default_reason
    else:
        rolled = instruction == MaturityInstruction.ROLL_ALL
        entry = _post_settlement(deposit, settlement, principal_out=Decimal(0),
                                 to_funding=Decimal(0) if rolled else net_interest,
                                 to_deposit_account=net_interest if rolled else Decimal(0), suffix="maturity",
                                 actor=actor, value_date=business_date)
        deposit.roll_over(on=business_date, at=now, interest=settlement.interest, tax=settlement.tax,
                          payout=Decimal(0) if rolled else net_interest, entry=entry)
        deposit.save()
        result = _successor(deposit, principal=deposit.principal + (net_interest if rolled else 0), actor=actor)
        spec = transitions.BY_NAME["roll_over"]
        reason = f"rolled over into {result.number}"
    _history(deposit, before, actor, reason=reason)
    after = {"status": deposit.status, "interest": settlement.interest, "tax": settlement.tax,
             "payout": deposit.payout_amount}
    if result is not deposit:
        after["successor"] = result.number
    audit_record(action=spec.audit_action, obj=deposit, actor=actor, before={"status": before},
                 changes=["status"], reason=reason, after=after)
    return result


def _successor(deposit: TermDeposit, *, principal: Decimal, actor) -> TermDeposit:
    """The next contract on the same account: same term and instruction, the product's current
    rate, tax and penalty terms, starting on the maturity date (no day goes without interest)."""
    product = deposit.product
    start = deposit.maturity_date
    successor = TermDeposit.objects.create(
        number=_number(), customer_id=deposit.customer_id, product=product, account_id=deposit.account_id,
        funding_account_id=deposit.funding_account_id, currency_id=deposit.currency_id, principal=principal,
        rate=product.default_rate, convention=product.convention, term_unit=deposit.term_unit, term=deposit.term,
        start_date=start, maturity_date=calc.maturity_date(start, deposit.term, deposit.term_unit),
        instruction=deposit.instruction, withholding_tax_rate=product.withholding_tax_rate,
        early_withdrawal_allowed=product.early_withdrawal_allowed, penalty_days=product.penalty_days,
        penalty_rate=product.penalty_rate, penalty_may_touch_principal=product.penalty_may_touch_principal,
        predecessor=deposit, idempotency_scope="system", idempotency_key=f"rollover:{deposit.number}",
        request_hash=digest({"rollover": deposit.number}), created_by=None,
    )
    _history(successor, "", actor, reason=f"rolled over from {deposit.number}")
    audit_record(action="deposit.opened", obj=successor, actor=actor,
                 after={"number": successor.number, "principal": principal, "rate": successor.rate,
                        "predecessor": deposit.number, "start_date": start,
                        "maturity_date": successor.maturity_date})
    return successor

