"""Products and accounts: opening, the lifecycle, closing and overdrafts, through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from schwifty import IBAN

from core_banking.accounts import exceptions as exc
from core_banking.accounts import services
from core_banking.accounts.models import Account, AccountStatusChange, Product
from core_banking.audit.models import AuditEvent
from core_banking.common.errors import TransitionNotAllowed
from core_banking.common.money import InvalidAmount
from core_banking.customers import exceptions as customer_exc
from core_banking.customers import services as customers
from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger import services as ledger
from core_banking.ledger.models import AccountType, BalanceRule, LedgerAccount
from core_banking.ledger.selectors import account_balance
from tests import banking

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]


def balance(account) -> Decimal:
    return account_balance(account_id=account.ledger_account_id).posted


def actions_of(obj) -> list[str]:
    return list(AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
                .order_by("id").values_list("action", flat=True))


def history(account) -> list[tuple[str, str, str]]:
    return list(account.status_changes.order_by("id").values_list("from_status", "to_status", "reason"))


def withdraw(bank, account, amount) -> None:
    ledger.transfer(debit_account_id=account.ledger_account_id, credit_account_id=bank.cash["EUR"].pk,
                    amount=Decimal(amount), idempotency_key=f"withdraw-{account.pk}-{amount}")


# --- products ------------------------------------------------------------------------------


def test_a_product_is_created_with_its_limits_in_the_currency_units_and_audited(bank):
    product = services.product_create(code="SAV-USD", name="Savings USD", kind="savings", currency_id="USD",
                                      gl_account=bank.deposits, overdraft_allowed=True,
                                      max_overdraft_limit="500", default_overdraft_limit=Decimal("100.5"))

    product.refresh_from_db()
    assert (product.max_overdraft_limit, product.default_overdraft_limit) == (Decimal("500"), Decimal("100.5"))
    assert product.is_active and product.is_deposit
    assert "product.created" in actions_of(product)


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"kind": "loan"}, exc.InvalidProduct, "sit under a asset account"),
        ({"gl_account": "cash"}, exc.InvalidProduct, "not a general-ledger header account"),
        ({"max_overdraft_limit": Decimal("100")}, exc.InvalidProduct, "without overdraft has no overdraft limits"),
        ({"overdraft_allowed": True, "max_overdraft_limit": Decimal("100"),
          "default_overdraft_limit": Decimal("200")}, exc.InvalidProduct, "exceeds the maximum"),
        ({"overdraft_allowed": True, "max_overdraft_limit": Decimal("100.001")}, InvalidAmount, "decimal places"),
        ({"code": "CUR-EUR"}, exc.InvalidProduct, "already exists"),
    ],
)
def test_a_product_definition_is_validated(bank, product, fields, error, message):
    fields = {"code": "NEW", "name": "New", "kind": "current", "currency_id": "EUR", "gl_account": bank.deposits,
              **fields}
    if fields["gl_account"] == "cash":
        fields["gl_account"] = bank.cash["EUR"]

    with pytest.raises(error, match=message):
        services.product_create(**fields)

    assert list(Product.objects.values_list("code", flat=True)) == ["CUR-EUR"]


def test_a_loan_product_sits_under_an_asset_header(bank):
    loan = banking.product(bank, kind="loan")

    assert loan.gl_account == bank.loans and not loan.is_deposit


# --- opening -------------------------------------------------------------------------------


def test_an_account_opens_active_with_an_iban_a_ledger_account_history_and_audit(ada, product):
    account = services.account_open(customer_id=ada.pk, product_id=product.pk, name="Household")

    account.refresh_from_db()
    assert account.status == "active" and account.activated_at is not None
    assert (account.customer, account.product, account.currency_id, account.name) == (ada, product, "EUR",
                                                                                       "Household")
    ledger_account = account.ledger_account
    assert ledger_account.parent == product.gl_account
    assert ledger_account.code == f"{product.gl_account.code}-{account.number}"
    assert (ledger_account.type, ledger_account.currency_id) == (AccountType.LIABILITY, "EUR")
    assert (ledger_account.balance_rule, ledger_account.external_id) == (BalanceRule.NON_NEGATIVE, account.iban)
    assert history(account) == [("", "active", "opened")]
    assert actions_of(account) == ["account.opened"]
    assert balance(account) == Decimal("0.00")


def test_the_iban_is_valid_for_the_bank_and_unique(ada, product, settings):
    first = banking.account(ada, product)
    second = banking.account(ada, product)

    for account in (first, second):
        iban = IBAN(account.iban)  # raises on a bad check digit or format
        assert (iban.country_code, iban.bank_code) == (settings.BANK_COUNTRY, settings.BANK_CODE)
        assert iban.account_code == account.number
    assert first.iban != second.iban and first.number != second.number
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=second.pk).update(iban=first.iban)


def test_an_account_can_be_opened_by_product_code_and_left_pending(ada, product):
    account = services.account_open(customer_id=ada.pk, product_code="CUR-EUR", activate=False)

    assert account.status == "pending" and account.activated_at is None
    assert account.name == "Ada Lovelace, Current account EUR"
    services.account_transition(account_id=account.pk, action="activate", reason="documents signed")
    account.refresh_from_db()
    assert account.status == "active" and account.activated_at is not None


@pytest.mark.parametrize("kyc", ["not_started", "pending", "rejected", "expired"])
def test_an_account_is_opened_only_once_kyc_is_approved(product, kyc):
    customer = banking.customer(kyc=kyc)

    with pytest.raises(customer_exc.KycNotApproved) as refused:
        services.account_open(customer_id=customer.pk, product_id=product.pk)

    assert refused.value.code == "kyc_not_approved"
    assert not Account.objects.exists()
    assert not LedgerAccount.objects.filter(parent=product.gl_account).exists()


@pytest.mark.parametrize("status", ["suspended", "closed"])
def test_a_suspended_or_closed_customer_gets_no_account(ada, product, status):
    customers.customer_set_status(customer_id=ada.pk, status=status)

    with pytest.raises(customer_exc.CustomerNotActive):
        services.account_open(customer_id=ada.pk, product_id=product.pk)


def test_an_inactive_or_unknown_product_or_customer_opens_nothing(ada, product):
    Product.objects.filter(pk=product.pk).update(is_active=False)

    with pytest.raises(exc.ProductNotAvailable):
        services.account_open(customer_id=ada.pk, product_id=product.pk)
    with pytest.raises(exc.ProductNotFound):
        services.account_open(customer_id=ada.pk, product_code="NOPE")
    with pytest.raises(customer_exc.CustomerNotFound):
        services.account_open(customer_id=ada.pk + 1000, product_id=product.pk)
    assert not Account.objects.exists()


def test_the_overdraft_limit_is_the_products_default_or_within_its_maximum(bank, ada):
    product = banking.product(bank, overdraft_allowed=True, max_overdraft_limit=Decimal("1000"),
                              default_overdraft_limit=Decimal("250"))

    default = services.account_open(customer_id=ada.pk, product_id=product.pk)
    chosen = services.account_open(customer_id=ada.pk, product_id=product.pk, overdraft_limit="1000.00")
    none = services.account_open(customer_id=ada.pk, product_id=product.pk, overdraft_limit=Decimal(0))

    assert default.overdraft_limit == Decimal("250.00")
    assert (chosen.ledger_account.balance_rule, chosen.ledger_account.overdraft_limit) == (
        BalanceRule.OVERDRAFT_LIMIT, Decimal("1000.00"))
    assert none.ledger_account.balance_rule == BalanceRule.NON_NEGATIVE
    for limit in ("1000.01", "-1"):
        with pytest.raises(exc.InvalidAccount, match="outside what product"):
            services.account_open(customer_id=ada.pk, product_id=product.pk, overdraft_limit=limit)
    with pytest.raises(InvalidAmount):
        services.account_open(customer_id=ada.pk, product_id=product.pk, overdraft_limit="10.001")


def test_a_product_without_overdraft_opens_no_overdraft(bank, ada):
    product = banking.product(bank)

    with pytest.raises(exc.InvalidAccount):
        services.account_open(customer_id=ada.pk, product_id=product.pk, overdraft_limit="1")


def test_a_loan_account_is_an_unconstrained_asset_under_the_loan_header(bank, ada):
    loan = services.account_open(customer_id=ada.pk, product_id=banking.product(bank, kind="loan").pk)

    assert loan.ledger_account.parent == bank.loans
    assert (loan.ledger_account.type, loan.ledger_account.balance_rule) == (AccountType.ASSET,
                                                                            BalanceRule.UNCONSTRAINED)


# --- the lifecycle -------------------------------------------------------------------------

# How to bring a fresh (active) account into each state.
REACH = {
    "active": [],
    "frozen": ["freeze"],
    "debit_blocked": ["block_debits"],
    "credit_blocked": ["block_credits"],
    "dormant": ["mark_dormant"],
}


def in_state(ada, product, state: str) -> Account:
    if state == "pending":
        return services.account_open(customer_id=ada.pk, product_id=product.pk, activate=False)
    account = banking.account(ada, product)
    if state == "closed":
        return services.account_close(account_id=account.pk, reason="setup")
    for action in REACH[state]:
        services.account_transition(account_id=account.pk, action=action, reason="setup")
    account.refresh_from_db()
    return account


ALLOWED = [
    ("pending", "activate", "active"),
    ("active", "freeze", "frozen"),
    ("debit_blocked", "freeze", "frozen"),
    ("credit_blocked", "freeze", "frozen"),
    ("dormant", "freeze", "frozen"),
    ("frozen", "unfreeze", "active"),
    ("active", "block_debits", "debit_blocked"),
    ("active", "block_credits", "credit_blocked"),
    ("debit_blocked", "unblock", "active"),
    ("credit_blocked", "unblock", "active"),
    ("active", "mark_dormant", "dormant"),
    ("dormant", "reactivate", "active"),
]

AUDIT_ACTION = {
    "activate": "account.activated", "freeze": "account.frozen", "unfreeze": "account.unfrozen",
    "block_debits": "account.debits_blocked", "block_credits": "account.credits_blocked",
    "unblock": "account.unblocked", "mark_dormant": "account.dormant", "reactivate": "account.reactivated",
}


@pytest.mark.parametrize(("state", "action", "target"), ALLOWED)
def test_each_allowed_transition_changes_the_state_with_history_and_audit(ada, product, django_user_model,
                                                                          state, action, target):
    account = in_state(ada, product, state)
    officer = django_user_model.objects.create_user("officer", is_staff=True)

    services.account_transition(account_id=account.pk, action=action, actor=officer, reason="case 42")

    account.refresh_from_db()
    assert (account.status, account.status_reason) == (target, "case 42")
    change = account.status_changes.order_by("-id").first()
    assert (change.from_status, change.to_status, change.reason, change.actor) == (state, target, "case 42", officer)
    event = AuditEvent.objects.filter(object_type="accounts.account", object_id=str(account.pk)).latest("id")
    assert (event.action, event.before, event.after) == (AUDIT_ACTION[action], {"status": state}, {"status": target})
    assert (event.actor, event.reason) == (officer, "case 42")


REFUSED = [
    (state, action)
    for state in ("pending", "active", "frozen", "debit_blocked", "credit_blocked", "dormant", "closed")
    for action in AUDIT_ACTION
    if (state, action) not in {(s, a) for s, a, _ in ALLOWED}
]


@pytest.mark.parametrize(("state", "action"), REFUSED)
def test_every_other_transition_is_refused_and_changes_nothing(ada, product, state, action):
    account = in_state(ada, product, state)
    changes, events = account.status_changes.count(), AuditEvent.objects.count()

    with pytest.raises(TransitionNotAllowed) as refused:
        services.account_transition(account_id=account.pk, action=action, reason="try")

    assert refused.value.code == "transition_not_allowed"
    assert refused.value.extra == {"status_from": state, "action": action}
    account.refresh_from_db()
    assert account.status == state
    assert (account.status_changes.count(), AuditEvent.objects.count()) == (changes, events)


def test_an_unknown_action_or_account_is_refused(account):
    with pytest.raises(exc.InvalidAccount, match="unknown account action"):
        services.account_transition(account_id=account.pk, action="close")
    with pytest.raises(exc.AccountNotFound):
        services.account_transition(account_id=account.pk + 1000, action="freeze")


def test_the_payment_rules_follow_the_state(ada, product):
    debitable = {"active", "credit_blocked"}
    creditable = {"active", "debit_blocked", "dormant"}
    for state in ("pending", "active", "frozen", "debit_blocked", "credit_blocked", "dormant", "closed"):
        account = in_state(ada, product, state)
        for check, allowed in ((account.require_debitable, debitable), (account.require_creditable, creditable)):
            if state in allowed:
                check()
            else:
                with pytest.raises(exc.AccountStateRefused):
                    check()


# --- closing -------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["pending", "active", "debit_blocked", "credit_blocked", "dormant"])
def test_an_empty_account_closes_and_its_ledger_account_stops_taking_postings(bank, ada, product, state):
    account = in_state(ada, product, state)

    services.account_close(account_id=account.pk, reason="customer request")

    account.refresh_from_db()
    assert account.status == "closed" and account.closed_at is not None
    assert account.status_reason == "customer request"
    assert history(account)[-1] == (state, "closed", "customer request")
    assert actions_of(account)[-1] == "account.closed"
    assert not LedgerAccount.objects.get(pk=account.ledger_account_id).is_active
    with pytest.raises(ledger_exc.AccountNotPostable) as refused:
        banking.fund(bank, account, "1.00")
    assert refused.value.code == "account_not_postable"
    assert balance(account) == Decimal("0.00")


def test_an_account_with_a_balance_is_not_closed_until_it_is_emptied(bank, account):
    banking.fund(bank, account, "100.00")

    with pytest.raises(exc.AccountNotEmpty, match="balance of 100.00 EUR;") as refused:
        services.account_close(account_id=account.pk)

    assert (refused.value.code, refused.value.extra) == ("account_not_empty", {"balance": "100.00"})
    account.refresh_from_db()
    assert account.status == "active"
    assert LedgerAccount.objects.get(pk=account.ledger_account_id).is_active
    withdraw(bank, account, "100.00")
    assert services.account_close(account_id=account.pk).status == "closed"


def test_an_account_with_a_pending_hold_is_not_closed(bank, account):
    hold, _ = ledger.hold_create(debit_account_id=bank.cash["EUR"].pk, credit_account_id=account.ledger_account_id,
                                 amount=Decimal("5.00"), idempotency_key="incoming")

    with pytest.raises(exc.AccountNotEmpty, match="pending holds"):
        services.account_close(account_id=account.pk)

    ledger.hold_void(hold_id=hold.pk)
    assert services.account_close(account_id=account.pk).status == "closed"


def test_a_frozen_or_closed_account_is_not_closed(account):
    services.account_transition(account_id=account.pk, action="freeze", reason="court order")
    with pytest.raises(TransitionNotAllowed, match="unfreeze it"):
        services.account_close(account_id=account.pk)

    services.account_transition(account_id=account.pk, action="unfreeze", reason="released")
    services.account_close(account_id=account.pk)
    with pytest.raises(TransitionNotAllowed, match="already closed"):
        services.account_close(account_id=account.pk)


def test_a_customer_is_closed_only_once_its_accounts_are(ada, account):
    with pytest.raises(customer_exc.CustomerHasOpenAccounts):
        customers.customer_set_status(customer_id=ada.pk, status="closed")

    services.account_close(account_id=account.pk)
    assert customers.customer_set_status(customer_id=ada.pk, status="closed").status == "closed"


# --- overdrafts ----------------------------------------------------------------------------


def test_the_overdraft_changes_within_the_products_maximum_on_the_ledger_too(bank, account):
    services.account_set_overdraft(account_id=account.pk, limit=Decimal("500.00"), reason="salary increase")

    account.refresh_from_db()
    assert account.overdraft_limit == Decimal("500.00")
    ledger_account = LedgerAccount.objects.get(pk=account.ledger_account_id)
    assert (ledger_account.balance_rule, ledger_account.overdraft_limit) == (BalanceRule.OVERDRAFT_LIMIT,
                                                                             Decimal("500.00"))
    withdraw(bank, account, "500.00")  # the ledger lets the account go 500 into overdraft
    assert balance(account) == Decimal("-500.00")
    event = AuditEvent.objects.filter(action="account.overdraft_changed", object_id=str(account.pk)).get()
    assert (event.before, event.after, event.reason) == (
        {"overdraft_limit": "0.00"}, {"overdraft_limit": "500.00"}, "salary increase")

    with pytest.raises(exc.InvalidAccount, match="between 0 and"):
        services.account_set_overdraft(account_id=account.pk, limit=Decimal("1000.01"))
    with pytest.raises(ledger_exc.InsufficientFunds):
        services.account_set_overdraft(account_id=account.pk, limit=Decimal("100.00"))
    account.refresh_from_db()
    assert account.overdraft_limit == Decimal("500.00")


def test_no_overdraft_on_a_product_without_one_a_loan_or_a_closed_account(bank, ada, account):
    plain = banking.account(ada, banking.product(bank))
    loan = banking.account(ada, banking.product(bank, kind="loan"))

    with pytest.raises(exc.InvalidAccount, match="does not allow an overdraft"):
        services.account_set_overdraft(account_id=plain.pk, limit=Decimal("1"))
    with pytest.raises(exc.InvalidAccount, match="loan account"):
        services.account_set_overdraft(account_id=loan.pk, limit=Decimal("0"))
    assert LedgerAccount.objects.get(pk=loan.ledger_account_id).balance_rule == BalanceRule.UNCONSTRAINED
    services.account_close(account_id=account.pk)
    with pytest.raises(exc.AccountClosed):
        services.account_set_overdraft(account_id=account.pk, limit=Decimal("10"))


def test_an_account_keeps_its_history_in_order(ada, product):
    account = banking.account(ada, product)
    for action in ("freeze", "unfreeze", "block_credits", "unblock"):
        services.account_transition(account_id=account.pk, action=action, reason=action)
    services.account_close(account_id=account.pk, reason="done")

    assert [(f, t) for f, t, _ in history(account)] == [
        ("", "active"), ("active", "frozen"), ("frozen", "active"), ("active", "credit_blocked"),
        ("credit_blocked", "active"), ("active", "closed"),
    ]
    assert actions_of(account) == ["account.opened", "account.frozen", "account.unfrozen", "account.credits_blocked",
                                   "account.unblocked", "account.closed"]
    assert AccountStatusChange.objects.filter(account=account).count() == 6
