"""Loan writes: products, applying, approving (the schedule), disbursing, repaying (regular and
early), due-date processing of one loan, writing off.

Each service owns its transaction, locks the loan row (``loan_lock``) before it reads what it
decides on, fires the state-machine transition, writes the history row and the audit event in the
same transaction. Money moves only through ``core_banking.ledger.services``, each write with a
deterministic idempotency key:

* disbursement  ``loans:<id>:disburse``          Dr loan account / Cr customer account
* repayment     ``loans:repayment:<repayment id>`` Dr customer account / Cr fee income, penalty
  income, accrued interest receivable, loan account, split in the product's allocation order
* write-off     ``loans:<id>:write-off``          Dr credit losses / Cr loan account
* interest true-up at closing ``loans:<id>:interest-true-up``: what accrued (rounded, in the
  ledger) minus the interest the customer paid, moved between interest income and accrued
  interest receivable, so the loan leaves nothing behind in the receivable account.

A repayment row is unique per (client scope, Idempotency-Key): a retry with the same body replays
the original, with another body is ``idempotency_conflict``. Before the principal changes, the
days not yet accrued (a weekend before a Monday repayment) are accrued at the old principal.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django_fsm import can_proceed

from core_banking.accounts.exceptions import AccountStateRefused
from core_banking.accounts.models import Account, Product
from core_banking.accounts.services import account_open, accounts_lock_for_payment
from core_banking.audit.services import audit_record
from core_banking.common.actors import user_or_none
from core_banking.common.errors import TransitionNotAllowed
from core_banking.common.idempotency import idempotency_scope_for, replayed
from core_banking.common.money import check_fits, quantize, to_decimal
from core_banking.customers.models import Customer
from core_banking.customers.services import customer_require_account_eligible
from core_banking.interest.daycount import Convention
from core_banking.interest.gl import interest_accounts
from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger import selectors as ledger_selectors
from core_banking.ledger import services as ledger
from core_banking.ledger.engine import Leg
from core_banking.ledger.hashing import canonical_amount, digest
from core_banking.ledger.services import business_date_open

from . import accrual, gl, selectors, transitions
from . import allocation as alloc
from . import exceptions as exc
from . import schedule as sched
from .models import (
    APPLY,
    APPROVE,
    DISBURSE,
    REPAY,
    WRITE_OFF,
    DueRun,
    Instalment,
    LateFee,
    Loan,
    LoanAccrual,
    LoanProduct,
    LoanStatusChange,
    Repayment,
    RepaymentAllocation,
)

ZERO = Decimal(0)
OPEN_INSTALMENT = [Instalment.Status.PENDING, Instalment.Status.DUE, Instalment.Status.OVERDUE]


# --- helpers ---------------------------------------------------------------------------------


def _require_perm(actor, perm: str, what: str) -> None:
    """The system (no actor: the end of day) may do everything; a person needs the permission."""
    if actor is None:
        return
    if not (getattr(actor, "is_authenticated", False) and actor.is_active and actor.has_perm(perm)):
        raise exc.LoanPermissionRefused(f"you may not {what} ({perm})")


def loan_lock(loan_id: int) -> Loan:
    loan = (Loan.objects.select_for_update(of=("self",)).select_related("product", "currency", "account",
                                                                         "loan_account")
            .filter(pk=loan_id).first())
    if loan is None:
        raise exc.LoanNotFound(f"loan {loan_id} does not exist")
    return loan


def _fire(loan: Loan, action: str, **kwargs) -> str:
    method = getattr(loan, action)
    before = loan.status
    if not can_proceed(method):
        raise TransitionNotAllowed(
            f"{transitions.BY_NAME[action].noun} is not allowed for a loan that is {loan.get_status_display().lower()}",
            status_from=before, action=action)
    method(**kwargs)
    return before


def _history(loan: Loan, *, action: str, before: str, reason: str = "", actor=None, at=None) -> LoanStatusChange:
    return LoanStatusChange.objects.create(loan=loan, action=action, from_status=before, to_status=loan.status,
                                           reason=reason[:500], actor=user_or_none(actor), at=at or timezone.now())


def _transition(loan: Loan, action: str, *, actor=None, reason: str = "", **kwargs) -> None:
    """Fire ``action`` of the transition table, with its history row and audit event."""
    spec = transitions.BY_NAME[action]
    at = kwargs.get("at") or timezone.now()
    reason = reason or spec.default_reason
    before = _fire(loan, action, **kwargs)
    loan.status_reason = reason[:500]
    _history(loan, action=action, before=before, reason=reason, actor=actor, at=at)
    audit_record(action=spec.audit_action, obj=loan, before={"status": before},
                 after={"status": loan.status}, changes=["status"], reason=reason, actor=actor)


def amount_in(value, exponent: int, currency: str, *, positive: bool = True) -> Decimal:
    amount = check_fits(to_decimal(value), exponent, currency=currency)
    if positive and amount <= 0:
        raise ledger_exc.InvalidAmount("the amount must be positive")
    if amount < 0:
        raise ledger_exc.InvalidAmount("the amount cannot be negative")
    return amount


def _require_running(loan: Loan) -> None:
    if loan.status not in Loan.RUNNING:
        raise exc.LoanNotRunning(f"loan {loan.pk} is {loan.get_status_display().lower()}", loan_status=loan.status)


# --- products --------------------------------------------------------------------------------


PRODUCT_FIELDS = ("code", "name", "currency_id", "account_product_id", "amortisation", "rate_default", "rate_min",
                  "rate_max", "convention", "frequency", "term_min", "term_max", "amount_min", "amount_max",
                  "instalment_fee", "allocation_order", "grace_days", "late_fee", "bucket_boundaries", "is_active")


def loan_product_validate(product: LoanProduct) -> None:
    """Every rule of a product, as ``invalid_loan_product`` (money amounts as ``invalid_amount``)."""
    account_product = Product.objects.filter(pk=product.account_product_id).select_related("gl_account").first()
    if account_product is None or account_product.kind != Product.Kind.LOAN:
        raise exc.InvalidLoanProduct("the account product must be an accounts product of kind loan",
                                     field="account_product")
    if account_product.currency_id != product.currency_id:
        raise exc.InvalidLoanProduct(f"account product {account_product.code} is in {account_product.currency_id}, "
                                     f"not {product.currency_id}", field="account_product")
    if product.amortisation not in {m.value for m in sched.Method}:
        raise exc.InvalidLoanProduct(f"unknown amortisation method {product.amortisation!r}", field="amortisation")
    if product.convention not in {c.value for c in Convention}:
        raise exc.InvalidLoanProduct(f"unknown day-count convention {product.convention!r}", field="convention")
    if product.frequency not in {f.value for f in sched.RepaymentFrequency}:
        raise exc.InvalidLoanProduct(f"unknown repayment frequency {product.frequency!r}", field="frequency")
    rates = [to_decimal(getattr(product, name)) for name in ("rate_min", "rate_default", "rate_max")]
    if not (ZERO <= rates[0] <= rates[1] <= rates[2] < 1):
        raise exc.InvalidLoanProduct("rates must satisfy 0 <= minimum <= default <= maximum < 1", field="rate_default")
    if not (1 <= int(product.term_min) <= int(product.term_max)):
        raise exc.InvalidLoanProduct("terms must satisfy 1 <= minimum <= maximum", field="term_min")
    exponent = account_product.currency.exponent
    for name in ("amount_min", "amount_max", "instalment_fee", "late_fee"):
        setattr(product, name, amount_in(getattr(product, name), exponent, product.currency_id, positive=False))
    if not (ZERO < product.amount_min <= product.amount_max):
        raise exc.InvalidLoanProduct("amounts must satisfy 0 < minimum <= maximum", field="amount_min")
    try:
        product.allocation_order = list(sched.check_allocation_order(product.allocation_order
                                                                     or sched.DEFAULT_ALLOCATION_ORDER))
    except (TypeError, ValueError) as error:
        raise exc.InvalidLoanProduct(str(error), field="allocation_order") from None
    try:
        product.bucket_boundaries = list(sched.check_bucket_boundaries(product.bucket_boundaries
                                                                       or sched.DEFAULT_BUCKET_BOUNDARIES))
    except (TypeError, ValueError) as error:
        raise exc.InvalidLoanProduct(str(error), field="bucket_boundaries") from None
    if int(product.grace_days) < 0:
        raise exc.InvalidLoanProduct("grace days cannot be negative", field="grace_days")


@transaction.atomic
def loan_product_create(*, actor=None, **fields) -> LoanProduct:
    _require_perm(actor, "loans.add_loanproduct", "define loan products")
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise exc.InvalidLoanProduct(f"unknown fields: {', '.join(sorted(unknown))}")
    product = LoanProduct(**fields)
    if LoanProduct.objects.filter(code=product.code).exists():
        raise exc.InvalidLoanProduct(f"a loan product with code {product.code!r} already exists", field="code")
    loan_product_validate(product)
    product.save()
    audit_record(action="loan_product.created", obj=product, actor=actor,
                 after={name: getattr(product, name) for name in PRODUCT_FIELDS})
    return product


# --- applying and approving ------------------------------------------------------------------


@transaction.atomic
def loan_apply(*, customer_id: int, account_id: int, principal, term: int, product_id: int | None = None,
               product_code: str = "", rate=None, start_date: dt.date | None = None,
               first_due_date: dt.date | None = None, actor=None) -> Loan:
    """An application: the product's limits are checked now, the schedule is made at approval."""
    _require_perm(actor, APPLY, "apply for loans")
    lookup = {"pk": product_id} if product_id is not None else {"code": product_code}
    product = LoanProduct.objects.select_related("currency").filter(**lookup).first()
    if product is None:
        raise exc.LoanProductNotFound(f"loan product {product_id or product_code!r} does not exist")
    if not product.is_active:
        raise exc.LoanProductNotAvailable(f"loan product {product.code} takes no new applications")
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        from core_banking.customers.exceptions import CustomerNotFound

        raise CustomerNotFound(f"customer {customer_id} does not exist")
    customer_require_account_eligible(customer)
    account = Account.objects.filter(pk=account_id).first()
    if account is None or account.customer_id != customer.pk:
        raise exc.InvalidLoanApplication("the account to pay into must be one of the customer's accounts",
                                         field="account_id")
    if not account.product.is_deposit:
        raise exc.InvalidLoanApplication("a loan is paid into a deposit account, not a loan account",
                                         field="account_id")
    if account.currency_id != product.currency_id:
        raise ledger_exc.CurrencyMismatch(f"account {account.iban} holds {account.currency_id}; the product lends "
                                          f"{product.currency_id}")
    exponent = product.currency.exponent
    principal = amount_in(principal, exponent, product.currency_id)
    if not (product.amount_min <= principal <= product.amount_max):
        raise exc.LoanAmountOutOfRange(
            f"{principal} is outside {quantize(product.amount_min, exponent)} to "
            f"{quantize(product.amount_max, exponent)} {product.currency_id}", field="principal")
    term = int(term)
    if not (product.term_min <= term <= product.term_max):
        raise exc.LoanTermOutOfRange(f"{term} instalments is outside {product.term_min} to {product.term_max}",
                                     field="term")
    rate = product.rate_default if rate is None else to_decimal(rate)
    if not (product.rate_min <= rate <= product.rate_max):
        raise exc.LoanRateOutOfRange(f"rate {rate} is outside {product.rate_min} to {product.rate_max}", field="rate")
    today = business_date_open()
    start = start_date or today
    if start < today:
        raise exc.InvalidLoanApplication("the start date cannot be in the past", field="start_date")
    months = sched.RepaymentFrequency(product.frequency).months
    first_due = first_due_date or sched.add_months(start, months)
    if not (start < first_due <= sched.add_months(start, 2 * months)):
        raise exc.InvalidLoanApplication("the first due date falls after the start and within two repayment "
                                         "periods of it", field="first_due_date")
    loan = Loan(customer=customer, product=product, currency_id=product.currency_id, account=account,
                principal=principal, rate=rate, term=term, amortisation=product.amortisation,
                convention=product.convention, frequency=product.frequency, start_date=start,
                first_due_date=first_due, applied_by=user_or_none(actor))
    loan.save()
    _history(loan, action="apply", before="", actor=actor)
    audit_record(action="loan.applied", obj=loan, actor=actor,
                 after={"customer": customer.number, "product": product.code, "principal": principal, "rate": rate,
                        "term": term, "first_due_date": first_due})
    return loan


def schedule_lines(loan: Loan, *, start: dt.date) -> list[sched.Line]:
    return sched.generate(principal=loan.principal, rate=loan.rate, start=start, first_due=loan.first_due_date,
                          count=loan.term, frequency=loan.frequency, convention=loan.convention,
                          method=loan.amortisation, exponent=loan.currency.exponent, fee=loan.product.instalment_fee)


def _write_schedule(loan: Loan, *, start: dt.date) -> list[Instalment]:
    """(Re)write the whole schedule of a loan that has not been disbursed (nothing paid yet)."""
    Instalment.objects.filter(loan=loan).delete()
    return Instalment.objects.bulk_create(
        Instalment(loan=loan, number=line.number, period_start=line.period_start, due_date=line.due_date,
                   principal_due=line.principal, interest_due=line.interest, fees_due=line.fee)
        for line in schedule_lines(loan, start=start))


@transaction.atomic
def loan_approve(*, loan_id: int, actor, reason: str = "") -> Loan:
    """Approve an application and generate its schedule. Whoever applied cannot approve."""
    _require_perm(actor, APPROVE, "approve loans")
    loan = loan_lock(loan_id)
    if actor is not None and loan.applied_by_id is not None and loan.applied_by_id == actor.pk:
        raise exc.SelfApprovalRefused(f"you applied for loan {loan.pk}; another person must approve it")
    now = timezone.now()
    _transition(loan, "approve", actor=actor, reason=reason, by=user_or_none(actor), at=now)
    loan.save()
    _write_schedule(loan, start=loan.start_date)
    return loan


@transaction.atomic
def loan_disburse(*, loan_id: int, actor, reason: str = "") -> Loan:
    """Open the loan's own account and pay the principal into the customer's account. Interest
    runs from today: a schedule planned for another start date is regenerated for today."""
    _require_perm(actor, DISBURSE, "disburse loans")
    loan = loan_lock(loan_id)
    if not can_proceed(loan.disburse):
        _fire(loan, "disburse", loan_account=None, at=None)  # raises transition_not_allowed
    today = business_date_open()
    if today >= loan.first_due_date:
        raise exc.InvalidLoanApplication(f"the first due date {loan.first_due_date.isoformat()} is not after today; "
                                         "the loan can no longer be disbursed on this schedule")
    customer_account = accounts_lock_for_payment([loan.account_id])[loan.account_id]
    customer_account.require_creditable()
    customer_require_account_eligible(Customer.objects.get(pk=loan.customer_id))
    loan_account = account_open(customer_id=loan.customer_id, product_id=loan.product.account_product_id,
                                name=f"Loan {loan.pk}", actor=actor)
    if today != loan.start_date:
        loan.start_date = today
        _write_schedule(loan, start=today)
    ledger.transfer(debit_account_id=loan_account.ledger_account_id,
                    credit_account_id=customer_account.ledger_account_id, amount=loan.principal,
                    idempotency_key=f"loans:{loan.pk}:disburse", actor=actor, external_ref=f"LOAN-{loan.pk}",
                    description=f"Disbursement of loan {loan.pk}", metadata={"loan": loan.pk})
    _transition(loan, "disburse", actor=actor, reason=reason, loan_account=loan_account, at=timezone.now())
    loan.save()
    return loan


# --- repayments ------------------------------------------------------------------------------


def _due_instalments(loan: Loan, day: dt.date) -> list[Instalment]:
    return list(Instalment.objects.select_for_update().filter(loan=loan, due_date__lte=day,
                                                               status__in=OPEN_INSTALMENT).order_by("due_date"))


def _dues(instalments: list[Instalment]) -> list[alloc.Due]:
    return [alloc.Due(key=i.pk, unpaid={part: i.unpaid(part) for part in sched.COMPONENTS}) for i in instalments]


def _catch_up_accrual(loan: Loan, today: dt.date) -> None:
    """Accrue the days before ``today`` not accrued yet, at the principal they had."""
    yesterday = today - dt.timedelta(days=1)
    if loan.status in Loan.RUNNING and yesterday >= loan.start_date:
        accrual.accrue_range(business_date=yesterday, first_id=loan.pk, last_id=loan.pk,
                             step=f"loans:accrue-catch-up:{loan.pk}")


def _book_repayment(*, loan: Loan, customer_account: Account, amount: Decimal, kind: str,
                    instalments: list[Instalment], scope: str, key: str, request_hash: str, actor,
                    business_date: dt.date, extra_principal: tuple[Instalment, Decimal] | None = None) -> Repayment:
    """Write the repayment, its allocations and its one ledger entry; update the instalments and
    the principal outstanding. ``extra_principal`` is a prepayment booked on one instalment."""
    parts = alloc.allocate(amount, _dues(instalments), loan.product.allocation_order)
    by_id = {i.pk: i for i in instalments}
    if extra_principal is not None:
        by_id[extra_principal[0].pk] = extra_principal[0]
        parts.append(alloc.Part(key=extra_principal[0].pk, component="principal", amount=extra_principal[1]))
    if sum((p.amount for p in parts), ZERO) != amount:
        raise exc.RepaymentExceedsDue(f"{amount} is more than the {alloc.total_unpaid(_dues(instalments))} due")
    repayment = Repayment.objects.create(loan=loan, kind=kind, amount=amount, business_date=business_date,
                                         idempotency_scope=scope, idempotency_key=key, request_hash=request_hash,
                                         created_by=user_or_none(actor))
    totals: dict[str, Decimal] = defaultdict(Decimal)
    merged: dict[tuple[int, str], Decimal] = {}
    for part in parts:
        totals[part.component] += part.amount
        merged[(part.key, part.component)] = merged.get((part.key, part.component), ZERO) + part.amount
    currency = loan.currency_id
    legs = [Leg(customer_account.ledger_account_id, amount)]
    if totals["fees"]:
        legs.append(Leg(gl.fee_income_account(currency).pk, -totals["fees"]))
    interest_gl = interest_accounts(currency)
    if totals["penalties"]:
        legs.append(Leg(interest_gl.penalty_income.pk, -totals["penalties"]))
    if totals["interest"]:
        legs.append(Leg(interest_gl.receivable.pk, -totals["interest"]))
    if totals["principal"]:
        legs.append(Leg(loan.loan_account.ledger_account_id, -totals["principal"]))
    result = ledger.entry_post(
        postings=legs, idempotency_key=f"loans:repayment:{repayment.pk}", actor=actor, value_date=business_date,
        external_ref=f"LOAN-{loan.pk}", description=f"{repayment.get_kind_display()} of loan {loan.pk}",
        metadata={"loan": loan.pk, "repayment": repayment.pk, **{k: str(v) for k, v in totals.items()}},
    )
    repayment.entry_id = result.entry_id
    repayment.save(update_fields=["entry"])
    RepaymentAllocation.objects.bulk_create(
        RepaymentAllocation(repayment=repayment, instalment_id=key_, component=component, amount=value,
                            position=position)
        for position, ((key_, component), value) in enumerate(merged.items(), start=1))
    for (instalment_id, component), value in merged.items():
        instalment = by_id[instalment_id]
        setattr(instalment, f"{component}_paid", instalment.paid(component) + value)
    for instalment in by_id.values():
        if instalment.total_unpaid == 0 and instalment.status in OPEN_INSTALMENT:
            instalment.status = Instalment.Status.PAID
            instalment.paid_on = business_date
        instalment.save(update_fields=[*(f"{p}_paid" for p in sched.COMPONENTS), *(f"{p}_due" for p in
                                                                                  sched.COMPONENTS),
                                       "status", "paid_on"])
    loan.principal_outstanding -= totals["principal"]
    return repayment


def _close_interest(loan: Loan, actor) -> None:
    """At closing: move what accrued (rounded, in the ledger) but was not paid (or paid but not
    accrued) between accrued interest receivable and interest income."""
    accrued = LoanAccrual.objects.filter(loan=loan).aggregate(total=Sum("posted"))["total"] or ZERO
    paid = RepaymentAllocation.objects.filter(repayment__loan=loan, component="interest").aggregate(
        total=Sum("amount"))["total"] or ZERO
    residual = accrued - paid
    if residual == 0:
        return
    accounts = interest_accounts(loan.currency_id)
    ledger.entry_post(postings=[Leg(accounts.income.pk, residual), Leg(accounts.receivable.pk, -residual)],
                      idempotency_key=f"loans:{loan.pk}:interest-true-up", actor=actor,
                      external_ref=f"LOAN-{loan.pk}", description=f"Interest true-up at closing of loan {loan.pk}",
                      metadata={"loan": loan.pk, "accrued": str(accrued), "paid": str(paid)})


def _refresh_delinquency(loan: Loan, day: dt.date, *, actor=None, reason: str = "") -> None:
    """Days past due and bucket from the oldest unpaid instalment; active <-> in arrears; repaid
    when nothing is left."""
    open_rows = list(Instalment.objects.filter(loan=loan, status__in=OPEN_INSTALMENT).order_by("due_date")
                     .values_list("due_date", flat=True))
    if not open_rows and loan.principal_outstanding == 0:
        _close_interest(loan, actor)
        _transition(loan, "mark_repaid", actor=actor, reason=reason, at=timezone.now())
        return
    oldest_due = open_rows[0] if open_rows else None
    loan.days_past_due = max(0, (day - oldest_due).days) if oldest_due and oldest_due < day else 0
    loan.delinquency_bucket = sched.bucket_for(loan.days_past_due, loan.product.bucket_boundaries)
    if loan.days_past_due > 0 and loan.status in (Loan.Status.DISBURSED, Loan.Status.ACTIVE):
        _transition(loan, "fall_into_arrears", actor=actor, reason=reason or f"{loan.days_past_due} days past due")
    elif loan.days_past_due == 0 and loan.status == Loan.Status.IN_ARREARS:
        _transition(loan, "cure", actor=actor, reason=reason)


def _replayed(scope: str, key: str, request_hash: str) -> Repayment | None:
    return replayed(Repayment.objects, scope=scope, key=key, request_hash=request_hash)


def _idempotent(*, loan_id: int, kind: str, amount, idempotency_key: str, actor):
    scope = idempotency_scope_for(user_or_none(actor))
    amount_repr = "full" if amount is None else canonical_amount(to_decimal(amount))
    request_hash = digest({"loan": loan_id, "kind": kind, "amount": amount_repr})
    return scope, request_hash


def loan_repay(*, loan_id: int, amount, idempotency_key: str, actor=None) -> tuple[Repayment, bool]:
    """A repayment of what is due (instalments due today or earlier), allocated in the product's
    order. Paying ahead is an early repayment. Returns (repayment, replayed)."""
    _require_perm(actor, REPAY, "take loan repayments")
    kind = Repayment.Kind.REPAYMENT
    scope, request_hash = _idempotent(loan_id=loan_id, kind=kind, amount=amount, idempotency_key=idempotency_key,
                                      actor=actor)
    with transaction.atomic():
        if (existing := _replayed(scope, idempotency_key, request_hash)) is not None:
            return existing, True
        loan = loan_lock(loan_id)
        if (existing := _replayed(scope, idempotency_key, request_hash)) is not None:
            return existing, True  # a concurrent retry committed while we waited for the lock
        _require_running(loan)
        amount = amount_in(amount, loan.currency.exponent, loan.currency_id)
        today = business_date_open()
        instalments = _due_instalments(loan, today)
        due = alloc.total_unpaid(_dues(instalments))
        if due == 0:
            raise exc.NothingDue(f"nothing is due on loan {loan.pk} today; repay early to pay ahead")
        if amount > due:
            raise exc.RepaymentExceedsDue(f"{amount} is more than the {due} {loan.currency_id} due",
                                          due=str(due))
        customer_account = accounts_lock_for_payment([loan.account_id])[loan.account_id]
        customer_account.require_debitable()
        _catch_up_accrual(loan, today)
        repayment = _book_repayment(loan=loan, customer_account=customer_account, amount=amount, kind=kind,
                                    instalments=instalments, scope=scope, key=idempotency_key,
                                    request_hash=request_hash, actor=actor, business_date=today)
        _refresh_delinquency(loan, today, actor=actor)
        loan.save()
        audit_record(action="loan.repayment", obj=loan, actor=actor,
                     after={"repayment": repayment.pk, "amount": amount, "entry": repayment.entry_id})
    return repayment, False


def loan_repay_early(*, loan_id: int, idempotency_key: str, amount=None, actor=None) -> tuple[Repayment, bool]:
    """Without ``amount``: pay the loan off (``selectors.early_repayment_quote``). With it: a
    partial early repayment of principal, the remaining instalments re-amortised (same term,
    lower instalment); refused while anything is due (``loan_overdue``)."""
    _require_perm(actor, REPAY, "take loan repayments")
    kind = Repayment.Kind.PAYOFF if amount is None else Repayment.Kind.EARLY_PARTIAL
    scope, request_hash = _idempotent(loan_id=loan_id, kind=kind, amount=amount, idempotency_key=idempotency_key,
                                      actor=actor)
    with transaction.atomic():
        if (existing := _replayed(scope, idempotency_key, request_hash)) is not None:
            return existing, True
        loan = loan_lock(loan_id)
        if (existing := _replayed(scope, idempotency_key, request_hash)) is not None:
            return existing, True
        _require_running(loan)
        today = business_date_open()
        if amount is not None:
            amount = amount_in(amount, loan.currency.exponent, loan.currency_id)
        quote = selectors.early_repayment_quote(loan=loan, day=today, amount=amount)
        customer_account = accounts_lock_for_payment([loan.account_id])[loan.account_id]
        customer_account.require_debitable()
        _catch_up_accrual(loan, today)
        rows = list(Instalment.objects.select_for_update().filter(loan=loan, status__in=OPEN_INSTALMENT)
                    .order_by("due_date"))
        due_rows = [i for i in rows if i.due_date <= today]
        future = [i for i in rows if i.due_date > today]
        before = [(i.number, str(i.principal_due), str(i.interest_due)) for i in future]
        if amount is None:
            extra = None
            if future:
                current, later = future[0], future[1:]
                current.principal_due = quote.principal_not_due
                current.interest_due = quote.interest_to_date
                current.fees_due = ZERO
                for instalment in later:
                    for part in sched.COMPONENTS:
                        setattr(instalment, f"{part}_due", ZERO)
                    instalment.status = Instalment.Status.CANCELLED
                    instalment.save(update_fields=[*(f"{p}_due" for p in sched.COMPONENTS), "status"])
                targets = [*due_rows, current]
            else:
                targets = due_rows
            total = quote.total
        else:
            current = future[0]
            for instalment, line in zip(future, quote.lines, strict=True):
                instalment.principal_due = line.principal
                instalment.interest_due = line.interest
                if instalment is not current:
                    instalment.save(update_fields=["principal_due", "interest_due"])
            current.principal_due += amount
            targets, extra, total = [], (current, amount), amount
        repayment = _book_repayment(loan=loan, customer_account=customer_account, amount=total, kind=kind,
                                    instalments=targets, scope=scope, key=idempotency_key,
                                    request_hash=request_hash, actor=actor, business_date=today,
                                    extra_principal=extra)
        if extra is not None:
            current.save(update_fields=["principal_due", "interest_due", "principal_paid"])
        _refresh_delinquency(loan, today, actor=actor, reason="repaid early in full" if amount is None else "")
        loan.save()
        audit_record(action="loan.early_repayment", obj=loan, actor=actor,
                     before={"schedule": before},
                     after={"repayment": repayment.pk, "kind": kind, "amount": total,
                            "schedule": [(i.number, str(i.principal_due), str(i.interest_due)) for i in future]})
    return repayment, False


# --- due-date processing (one loan; eod.process_due calls it per loan of a chunk) -------------


def loan_process_due(*, loan_id: int, business_date: dt.date) -> bool:
    """Collect what is due from the customer's account (up to its available balance), then set
    days past due and the bucket, move active <-> in arrears, and charge the late fee of each
    instalment overdue beyond the grace days (once: ``LateFee`` is unique per instalment). Once per
    loan and business date (``DueRun``). Returns whether the loan was processed now."""
    with transaction.atomic():
        loan = loan_lock(loan_id)
        if loan.status not in Loan.RUNNING or DueRun.objects.filter(loan=loan, business_date=business_date).exists():
            return False
        Instalment.objects.filter(loan=loan, status__in=[Instalment.Status.PENDING, Instalment.Status.DUE],
                                  due_date__lt=business_date).update(status=Instalment.Status.OVERDUE)
        Instalment.objects.filter(loan=loan, status=Instalment.Status.PENDING,
                                  due_date=business_date).update(status=Instalment.Status.DUE)
        instalments = _due_instalments(loan, business_date)
        due = alloc.total_unpaid(_dues(instalments))
        collected = ZERO
        if due > 0:
            customer_account = accounts_lock_for_payment([loan.account_id])[loan.account_id]
            try:
                customer_account.require_debitable()
                available = ledger_selectors.account_balance(account_id=customer_account.ledger_account_id).available
            except AccountStateRefused:
                available = ZERO  # a frozen or blocked account is not collected from
            collected = min(max(available, ZERO), due)
            if collected > 0:
                _catch_up_accrual(loan, business_date)
                key = f"loans:{loan.pk}:collect:{business_date.isoformat()}"
                _book_repayment(loan=loan, customer_account=customer_account, amount=collected,
                                kind=Repayment.Kind.COLLECTION, instalments=instalments, scope="system", key=key,
                                request_hash=digest({"loan": loan.pk, "collect": business_date.isoformat(),
                                                     "amount": canonical_amount(collected)}),
                                actor=None, business_date=business_date)
        fees = 0
        late_fee = loan.product.late_fee
        if late_fee > 0:
            charged = set(LateFee.objects.filter(loan=loan).values_list("instalment_id", flat=True))
            for instalment in instalments:
                overdue_days = (business_date - instalment.due_date).days
                if instalment.total_unpaid > 0 and overdue_days > loan.product.grace_days \
                        and instalment.pk not in charged:
                    LateFee.objects.create(instalment=instalment, loan=loan, amount=late_fee,
                                           business_date=business_date, days_past_due=overdue_days)
                    instalment.penalties_due += late_fee
                    instalment.save(update_fields=["penalties_due"])
                    fees += 1
        _refresh_delinquency(loan, business_date, reason="due-date processing")
        loan.save()
        DueRun.objects.create(loan=loan, business_date=business_date, collected=collected,
                              days_past_due=loan.days_past_due, delinquency_bucket=loan.delinquency_bucket,
                              late_fees=fees)
    return True


# --- write-off -------------------------------------------------------------------------------


@transaction.atomic
def loan_write_off(*, loan_id: int, reason: str, actor) -> Loan:
    """Write the principal outstanding off to credit losses; unpaid accrued interest is reversed
    out of interest income; the open instalments are written off with it."""
    _require_perm(actor, WRITE_OFF, "write loans off")
    if not (reason or "").strip():
        raise exc.InvalidLoanApplication("a write-off needs a reason", field="reason")
    loan = loan_lock(loan_id)
    if not can_proceed(loan.write_off):
        _fire(loan, "write_off", at=None)  # raises transition_not_allowed
    principal = loan.principal_outstanding
    if principal > 0:
        ledger.transfer(debit_account_id=gl.credit_loss_account(loan.currency_id).pk,
                        credit_account_id=loan.loan_account.ledger_account_id, amount=principal,
                        idempotency_key=f"loans:{loan.pk}:write-off", actor=actor, external_ref=f"LOAN-{loan.pk}",
                        description=f"Write-off of loan {loan.pk}: {reason}"[:200], metadata={"loan": loan.pk})
    Instalment.objects.filter(loan=loan, status__in=OPEN_INSTALMENT).update(status=Instalment.Status.WRITTEN_OFF)
    _close_interest(loan, actor)
    _transition(loan, "write_off", actor=actor, reason=reason, at=timezone.now())
    loan.save()
    return loan
