"""Account and product writes: opening, the lifecycle, overdrafts.

Each lifecycle service locks the account row, fires the state-machine transition, records the
history row and the audit event in the same transaction. Payments lock the account rows they
touch ``FOR SHARE`` (``accounts_lock_for_payment``), so a freeze or a close waits for payments in
flight and a payment started after it sees the new state.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django_fsm import TransitionNotAllowed as FsmRefused
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from core_banking.audit.services import audit_record
from core_banking.common.actors import user_or_none
from core_banking.common.errors import TransitionNotAllowed
from core_banking.common.history import record_transition
from core_banking.common.maker_checker import Deferred, guarded
from core_banking.common.money import check_fits, quantize, to_decimal
from core_banking.customers.models import Customer
from core_banking.customers.services import customer_require_account_eligible
from core_banking.ledger import services as ledger
from core_banking.ledger.models import AccountBalance, BalanceRule, Currency, Hold, LedgerAccount

from . import exceptions as exc
from . import transitions
from .events import account_event
from .models import Account, AccountNumber, AccountStatusChange, Product


def iban_validate(value: str) -> IBAN:
    """A counterparty or customer IBAN, parsed and checked (country format and check digits)."""
    try:
        return IBAN(value or "")
    except SchwiftyException as error:
        raise exc.InvalidIban(f"{value!r} is not a valid IBAN: {error}", iban=value) from None


def iban_generate(number: str) -> str:
    return str(IBAN.generate(settings.BANK_COUNTRY, bank_code=settings.BANK_CODE, account_code=number))


# --- products ------------------------------------------------------------------------------


def product_validate(product: Product) -> None:
    if not product.gl_account.is_synthetic:
        raise exc.InvalidProduct(f"{product.gl_account.code} is not a general-ledger header account")
    expected = "asset" if product.kind == Product.Kind.LOAN else "liability"
    if product.gl_account.type != expected:
        raise exc.InvalidProduct(
            f"{product.get_kind_display()} accounts sit under a {expected} account, not {product.gl_account.code}"
        )
    exponent = product.currency.exponent
    for name in ("max_overdraft_limit", "default_overdraft_limit"):
        setattr(product, name, check_fits(to_decimal(getattr(product, name)), exponent,
                                          currency=product.currency_id))
    if not product.overdraft_allowed and (product.max_overdraft_limit or product.default_overdraft_limit):
        raise exc.InvalidProduct("a product without overdraft has no overdraft limits")
    if product.default_overdraft_limit > product.max_overdraft_limit:
        raise exc.InvalidProduct("the default overdraft limit exceeds the maximum")


@transaction.atomic
def product_create(*, actor=None, **fields) -> Product:
    product = Product(**fields)
    if Product.objects.filter(code=product.code).exists():
        raise exc.InvalidProduct(f"a product with code {product.code!r} already exists")
    product_validate(product)
    product.save()
    audit_record(action="product.created", obj=product,
                 after={"code": product.code, "kind": product.kind, "currency": product.currency_id}, actor=actor)
    return product


# --- opening -------------------------------------------------------------------------------


@transaction.atomic
def account_open(
    *, customer_id: int, product_id: int | None = None, product_code: str = "", name: str = "",
    overdraft_limit: Decimal | None = None, activate: bool = True, actor=None,
) -> Account:
    """Open an account from a product for an eligible customer (active, KYC approved): a new
    IBAN, a ledger account under the product's general-ledger account, active at once unless
    ``activate`` is false."""
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        from core_banking.customers.exceptions import CustomerNotFound

        raise CustomerNotFound(f"customer {customer_id} does not exist")
    customer_require_account_eligible(customer)
    product = (Product.objects.select_related("currency", "gl_account")
               .filter(**({"pk": product_id} if product_id is not None else {"code": product_code})).first())
    if product is None:
        raise exc.ProductNotFound(f"product {product_id or product_code!r} does not exist")
    if not product.is_active:
        raise exc.ProductNotAvailable(f"product {product.code} no longer opens accounts")
    limit = product.default_overdraft_limit if overdraft_limit is None else to_decimal(overdraft_limit)
    limit = check_fits(limit, product.currency.exponent, currency=product.currency_id)
    if limit < 0 or limit > product.max_overdraft_limit:
        raise exc.InvalidAccount(
            f"overdraft limit {limit} is outside what product {product.code} allows "
            f"(0 to {product.max_overdraft_limit})"
        )
    number = f"{AccountNumber.objects.create().pk:010d}"
    iban = iban_generate(number)
    if product.is_deposit:
        rule = BalanceRule.OVERDRAFT_LIMIT if limit > 0 else BalanceRule.NON_NEGATIVE
    else:
        rule = BalanceRule.UNCONSTRAINED  # a loan account is an asset of the bank; its schedule bounds it
    label = name or f"{customer.display_name}, {product.name}"
    ledger_account = ledger.ledger_account_create(
        code=f"{product.gl_account.code}-{number}", name=label[:200], type=product.gl_account.type,
        currency=product.currency_id, parent=product.gl_account, balance_rule=rule, overdraft_limit=limit,
        external_id=iban,
    )
    now = timezone.now()
    account = Account(
        number=number, iban=iban, name=label[:200], customer=customer, product=product,
        currency=product.currency, ledger_account=ledger_account, overdraft_limit=limit,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if activate:
        account.activate(at=now)
    account.save()
    record_transition(AccountStatusChange, account, from_status="", reason="opened", actor=user_or_none(actor))
    account_event(account, from_status="", reason="opened")
    audit_record(action="account.opened", obj=account, actor=actor,
                 after={"iban": iban, "customer": customer.number, "product": product.code,
                        "status": account.status, "overdraft_limit": str(limit)})
    return account



# --- lifecycle -----------------------------------------------------------------------------


def account_lock(account_id: int) -> Account:
    account = Account.objects.select_for_update().select_related("ledger_account").filter(pk=account_id).first()
    if account is None:
        raise exc.AccountNotFound(f"account {account_id} does not exist")
    return account


def accounts_lock_for_payment(account_ids: Iterable[int]) -> dict[int, Account]:
    """Share-lock the accounts a payment touches (``FOR SHARE``, in id order) and return them by
    id. Concurrent payments on one account do not wait for each other here; a lifecycle change
    (``FOR UPDATE``) waits for them, and they for it."""
    ids = sorted(set(account_ids))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM accounts_account WHERE id = ANY(%s) ORDER BY id FOR SHARE", [ids])
    accounts = {
        a.pk: a for a in Account.objects.filter(pk__in=ids)
        .select_related("ledger_account", "customer", "product", "currency")
    }
    missing = [i for i in ids if i not in accounts]
    if missing:
        raise exc.AccountNotFound(f"account {missing[0]} does not exist")
    return accounts


@transaction.atomic
def account_transition(*, account_id: int, action: str, actor=None, reason: str = "") -> Account | Deferred:
    """Fire one lifecycle transition of the table (``transitions.py``), not ``close``, which has
    its own service. The maker-checker ones (``freeze``, ``unfreeze``) pass the gate: unless an
    approved request is being executed, they return the ``Deferred`` approval request instead of
    acting."""
    spec = transitions.BY_NAME.get(action)
    if spec is None or spec.name == transitions.CLOSE:
        raise exc.InvalidAccount(f"unknown account action {action!r}")

    def execute() -> Account:
        return _account_transition(account_id=account_id, spec=spec, actor=actor, reason=reason)

    if spec.action_type is None:
        return execute()
    return guarded(spec.action_type, payload={"account_id": account_id, "reason": reason}, actor=actor,
                   reason=reason, execute=execute)


def account_lifecycle(*, account_id: int, action: str, actor=None, reason: str = "") -> Account | Deferred:
    """Fire any action of the transition table, ``close`` included (``account_close``), e.g. for
    the admin and the approvals executor."""
    if action == transitions.CLOSE:
        return account_close(account_id=account_id, actor=actor, reason=reason)
    return account_transition(account_id=account_id, action=action, actor=actor, reason=reason)


def _account_transition(*, account_id: int, spec: transitions.AccountTransition, actor, reason: str) -> Account:
    account = account_lock(account_id)
    before = account.status
    if spec.rechecks_kyc:
        # Money may move again: the holder must still be an active customer with KYC approved.
        customer_require_account_eligible(Customer.objects.select_for_update().get(pk=account.customer_id))
    action = spec.name
    method = getattr(account, action)
    try:
        method(at=timezone.now()) if action == "activate" else method()
    except FsmRefused:
        raise TransitionNotAllowed(f"{action.replace('_', ' ')} is not allowed for an account that is {before}",
                                   status_from=before, action=action) from None
    account.status_reason = reason
    account.save()
    record_transition(AccountStatusChange, account, from_status=before, reason=reason, actor=user_or_none(actor))
    account_event(account, from_status=before, reason=reason)
    audit_record(action=spec.audit_action, obj=account, before={"status": before},
                 after={"status": account.status}, changes=["status"], reason=reason, actor=actor)
    return account


_CLOSE = transitions.BY_NAME[transitions.CLOSE]


@transaction.atomic
def account_close(*, account_id: int, actor=None, reason: str = "") -> Account | Deferred:
    """Close an account whose balance is zero and which has no pending holds; its ledger account
    stops taking postings in the same transaction. Passes the maker-checker gate (returns the
    ``Deferred`` approval request unless an approved request is being executed)."""
    return guarded(_CLOSE.action_type, payload={"account_id": account_id, "reason": reason}, actor=actor,
                   reason=reason, execute=lambda: _account_close(account_id=account_id, actor=actor, reason=reason))


def _account_close(*, account_id: int, actor, reason: str) -> Account:
    account = account_lock(account_id)
    if account.status == Account.Status.CLOSED:
        raise TransitionNotAllowed(f"account {account.iban} is already closed")
    if account.status == Account.Status.FROZEN:
        raise TransitionNotAllowed(f"account {account.iban} is frozen; unfreeze it before closing it")
    ledger_account = LedgerAccount.objects.select_for_update().get(pk=account.ledger_account_id)
    totals = AccountBalance.objects.select_for_update().filter(account=ledger_account).aggregate(
        balance=Sum("balance"), held=Sum("held"), pending_in=Sum("pending_in"))
    pending = Hold.objects.filter(status=Hold.Status.PENDING).filter(
        debit_account=ledger_account).exists() or Hold.objects.filter(
        status=Hold.Status.PENDING, credit_account=ledger_account).exists()
    if (totals["balance"] or 0) != 0 or (totals["held"] or 0) != 0 or (totals["pending_in"] or 0) != 0 or pending:
        balance = quantize(totals["balance"] or Decimal(0), account.currency.exponent)  # in units, not 18 places
        raise exc.AccountNotEmpty(
            f"account {account.iban} has a balance of {balance} {account.currency_id}"
            + (" and pending holds" if pending else "") + "; it can only be closed when empty",
            balance=str(balance),
        )
    before = account.status
    account.close(at=timezone.now())
    account.status_reason = reason
    account.save()
    ledger_account.is_active = False
    ledger_account.save(update_fields=["is_active"])
    record_transition(AccountStatusChange, account, from_status=before, reason=reason, actor=user_or_none(actor))
    account_event(account, from_status=before, reason=reason)
    audit_record(action=_CLOSE.audit_action, obj=account, before={"status": before},
                 after={"status": account.status}, changes=["status"], reason=reason, actor=actor)
    return account


@transaction.atomic
def account_set_overdraft(*, account_id: int, limit: Decimal, actor=None, reason: str = "") -> Account:
    """Change an account's overdraft limit within its product's maximum; lowering it below what
    is already drawn is refused by the ledger."""
    account = account_lock(account_id)
    if account.status == Account.Status.CLOSED:
        raise exc.AccountClosed(f"account {account.iban} is closed", account=account.iban)
    product = account.product
    if not product.is_deposit:
        raise exc.InvalidAccount(f"{account.iban} is a loan account; it has no overdraft")
    limit = check_fits(to_decimal(limit), account.currency.exponent, currency=account.currency_id)
    if limit > 0 and not product.overdraft_allowed:
        raise exc.InvalidAccount(f"product {product.code} does not allow an overdraft")
    if limit < 0 or limit > product.max_overdraft_limit:
        raise exc.InvalidAccount(f"the overdraft limit must be between 0 and {product.max_overdraft_limit}")
    before = str(quantize(account.overdraft_limit, account.currency.exponent))
    ledger.ledger_account_set_overdraft(account=account.ledger_account, limit=limit, actor=actor)
    account.overdraft_limit = limit
    account.save(update_fields=["overdraft_limit"])
    audit_record(action="account.overdraft_changed", obj=account, before={"overdraft_limit": before},
                 after={"overdraft_limit": str(limit)}, changes=["overdraft_limit"], reason=reason, actor=actor)
    return account


def currency_get(code: str) -> Currency:
    return Currency.objects.get(code=code)
