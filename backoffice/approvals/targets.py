"""What an approval request is about, in words a checker can decide on (``selectors.request_target``).

A request's payload names rows by id (``{"account_id": 1}``); a checker needs the account's IBAN,
its holder, product, status and balance, an entry's postings, a payment's parties. Each describer
reads the rows the payload names *now* and returns::

    {"kind": "account", "title": "...", "facts": [{"label", "value", "url"}], "postings": [...]}

``url`` is the admin change page of the row, given only when the viewing user may view that model
(``<app>.view_<model>``), else null. Amounts are Decimals quantized to their currency's exponent
(``core_banking.common.money.quantize``, the one rounding point) with thousands grouping, e.g.
``12,345.60 EUR``; never floats. A row that no longer exists is said so, not an error.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import NoReverseMatch, reverse

from core_banking.common import money_display
from core_banking.common.money import to_decimal

Target = dict[str, Any]


# --- formatting ---------------------------------------------------------------------------------


def format_money(amount, currency: str) -> str:
    """``Decimal("12345.6"), "EUR"`` -> ``"12,345.60 EUR"``: the one money display
    (``core_banking.common.money_display``); ``-`` when there is no amount."""
    if amount is None:
        return "-"
    return money_display.format_money(amount if isinstance(amount, Decimal) else to_decimal(amount), currency)


def _url(user, app_label: str, model: str, pk) -> str | None:
    if pk is None or user is None or not user.has_perm(f"{app_label}.view_{model}"):
        return None
    try:
        return reverse(f"admin:{app_label}_{model}_change", args=[pk])
    except NoReverseMatch:
        return None


def _fact(label: str, value: Any, url: str | None = None) -> dict[str, Any]:
    return {"label": label, "value": "-" if value in (None, "") else str(value), "url": url}


def _target(kind: str, title: str, facts: list[dict], postings: list[dict] | None = None) -> Target:
    return {"kind": kind, "title": title, "facts": facts, "postings": postings or []}


def _missing(kind: str, what: str) -> Target:
    return _target(kind, f"{what} (no longer exists)", [])


# --- the describers -----------------------------------------------------------------------------


def _customer_fact(user, customer, label: str = "Customer") -> dict[str, Any]:
    return _fact(label, f"{customer.display_name} ({customer.number})",
                 _url(user, "customers", "customer", customer.pk))


def _account_facts(user, account) -> list[dict[str, Any]]:
    return [
        _fact("IBAN", account.iban, _url(user, "accounts", "account", account.pk)),
        _customer_fact(user, account.customer),
        _fact("Product", f"{account.product.name} ({account.product.code})",
              _url(user, "accounts", "product", account.product_id)),
        _fact("Status", account.get_status_display()),
        _fact("Balance", format_money(account.posted_balance, account.currency_id)),
    ]


def _account(payload: dict, user) -> Target:
    from core_banking.accounts import selectors as accounts
    from core_banking.common.errors import DomainError

    try:
        account = accounts.account_get(account_id=payload["account_id"])
    except DomainError:
        return _missing("account", f"Account {payload['account_id']}")
    return _target("account", f"Account {account.iban} of {account.customer.display_name}",
                   _account_facts(user, account))


def _posting_row(user, ledger_account, amount, currency: str) -> dict[str, Any]:
    return {"account_code": ledger_account.code if ledger_account else "?",
            "account_name": ledger_account.name if ledger_account else "(unknown ledger account)",
            "amount": format_money(amount, currency),
            "url": _url(user, "ledger", "ledgeraccount", ledger_account.pk) if ledger_account else None}


def _reversal(payload: dict, user) -> Target:
    from core_banking.ledger.models import JournalEntry

    entry = JournalEntry.objects.filter(pk=payload["entry_id"]).first()
    if entry is None:
        return _missing("journal_entry", f"Journal entry {payload['entry_id']}")
    postings = [_posting_row(user, p.account, p.amount, p.currency_id)
                for p in entry.postings.select_related("account").order_by("id")]
    facts = [
        _fact("Entry", str(entry), _url(user, "ledger", "journalentry", entry.pk)),
        _fact("Reference", entry.external_ref),
        _fact("Kind", entry.get_kind_display()),
        _fact("Description", entry.description),
        _fact("Business date", entry.business_date),
    ]
    return _target("journal_entry", f"Reverse {entry}", facts, postings)


def _adjustment(payload: dict, user) -> Target:
    from core_banking.ledger.models import LedgerAccount

    legs = payload.get("postings") or []
    accounts = LedgerAccount.objects.in_bulk([leg["account_id"] for leg in legs])
    postings = [_posting_row(user, accounts.get(leg["account_id"]), leg["amount"],
                             leg.get("currency") or getattr(accounts.get(leg["account_id"]), "currency_id", ""))
                for leg in legs]
    facts = [_fact("Reference", payload.get("external_ref")), _fact("Kind", "Manual adjustment"),
             _fact("Description", payload.get("description")), _fact("Value date", payload.get("value_date"))]
    return _target("journal_entry", f"Manual adjustment: {payload.get('description', '')}", facts, postings)


def _payment(payload: dict, user) -> Target:
    from core_banking.payments.models import Payment

    payment = (Payment.objects.select_related("debtor_account__customer", "creditor_account__customer")
               .filter(pk=payload["payment_id"]).first())
    if payment is None:
        return _missing("payment", f"Payment {payload['payment_id']}")

    def party(account) -> str:
        # The bank's own account, else the other bank's customer (the counterparty).
        if account is not None:
            return f"{account.iban} ({account.customer.display_name})"
        name = payment.counterparty_name
        return f"{payment.counterparty_iban} ({name})" if name else payment.counterparty_iban

    facts = [
        _fact("Reference", payment.reference, _url(user, "payments", "payment", payment.pk)),
        _fact("Kind", payment.get_kind_display()),
        _fact("Status", payment.get_status_display()),
        _fact("Amount", format_money(payment.amount, payment.currency_id)),
        _fact("Debtor", party(payment.debtor_account), _url(user, "accounts", "account", payment.debtor_account_id)),
        _fact("Creditor", party(payment.creditor_account),
              _url(user, "accounts", "account", payment.creditor_account_id)),
        _fact("Remittance", payment.remittance_info),
    ]
    return _target("payment", f"Payment {payment.reference}: {format_money(payment.amount, payment.currency_id)}",
                   facts)


def _kyc(payload: dict, user) -> Target:
    from core_banking.customers.models import Customer

    customer = Customer.objects.filter(pk=payload["customer_id"]).first()
    if customer is None:
        return _missing("customer", f"Customer {payload['customer_id']}")
    facts = [
        _customer_fact(user, customer),
        _fact("Current KYC status", customer.get_kyc_status_display()),
        _fact("Current risk rating", customer.get_risk_rating_display()),
        _fact("Requested KYC status", payload.get("status")),
        _fact("Requested risk rating", payload.get("risk_rating")),
    ]
    return _target("customer", f"KYC of {customer.display_name} ({customer.number})", facts)


def _limit_values(fields: dict) -> list[dict[str, Any]]:
    from backoffice.limits.models import AMOUNT_LIMITS

    currency = fields.get("currency") or ""
    out = []
    for name, value in fields.items():
        label = name.replace("_", " ").capitalize()
        if name in AMOUNT_LIMITS and value is not None:
            value = payload_value(name, value, currency)
        out.append(_fact(label, "none" if value is None else value))
    return out


def _limit(payload: dict, user) -> Target:
    from backoffice.limits.models import LimitRule

    operation = payload["operation"]
    facts: list[dict[str, Any]] = [_fact("Operation", operation)]
    if operation in ("update", "delete"):
        rule = LimitRule.objects.select_related("profile", "customer", "account").filter(pk=payload["rule_id"]).first()
        if rule is None:
            return _missing("limit_rule", f"Limit rule {payload['rule_id']}")
        facts.append(_fact("Rule", f"rule {rule.pk}", _url(user, "limits", "limitrule", rule.pk)))
        facts.extend(_limit_scope(user, profile=rule.profile, customer=rule.customer, account=rule.account))
        facts.append(_fact("Channel", rule.channel or "all"))
        facts.append(_fact("Currency", rule.currency_id or "all"))
        for name in ("max_single_amount", "daily_amount", "daily_count", "monthly_amount", "monthly_count"):
            value = getattr(rule, name)
            if value is not None and name.endswith("amount") and rule.currency_id:
                value = format_money(value, rule.currency_id)
            facts.append(_fact(f"Now: {name.replace('_', ' ')}", "none" if value is None else value))
        title = f"{operation.capitalize()} limit rule {rule.pk}"
    else:
        from backoffice.limits.models import LimitProfile
        from core_banking.accounts.models import Account
        from core_banking.customers.models import Customer

        facts.extend(_limit_scope(
            user, profile=LimitProfile.objects.filter(code=payload.get("profile_code")).first()
            if payload.get("profile_code") else None,
            customer=Customer.objects.filter(pk=payload.get("customer_id")).first()
            if payload.get("customer_id") else None,
            account=Account.objects.select_related("customer").filter(pk=payload.get("account_id")).first()
            if payload.get("account_id") else None))
        title = "New limit rule"
    if payload.get("fields"):
        facts.extend({**fact, "label": f"New: {fact['label'].lower()}"} for fact in _limit_values(payload["fields"]))
    return _target("limit_rule", title, facts)


def _limit_scope(user, *, profile, customer, account) -> list[dict[str, Any]]:
    if profile is not None:
        return [_fact("Profile", f"{profile.name} ({profile.code})", _url(user, "limits", "limitprofile", profile.pk))]
    if customer is not None:
        return [_customer_fact(user, customer)]
    if account is not None:
        return [_fact("Account", f"{account.iban} ({account.customer.display_name})",
                      _url(user, "accounts", "account", account.pk))]
    return [_fact("Scope", "(unknown)")]


def _tariff(payload: dict, user) -> Target:
    from backoffice.tariffs.models import TariffPlan, TariffVersion

    operation = payload["operation"]
    facts: list[dict[str, Any]] = [_fact("Operation", operation.replace("_", " "))]
    if operation == "rule_create":
        version = TariffVersion.objects.select_related("plan").filter(pk=payload["version_id"]).first()
        if version is None:
            return _missing("tariff", f"Tariff version {payload['version_id']}")
        plan = version.plan
        facts.append(_fact("Version", f"effective from {version.effective_from}",
                           _url(user, "tariffs", "tariffversion", version.pk)))
    else:
        plan = TariffPlan.objects.filter(pk=payload["plan_id"]).first()
        if plan is None:
            return _missing("tariff", f"Tariff plan {payload['plan_id']}")
    facts.insert(0, _fact("Plan", f"{plan.name} ({plan.code}){'' if plan.is_active else ', inactive'}",
                          _url(user, "tariffs", "tariffplan", plan.pk)))
    if operation == "plan_update":
        for name in ("name", "description", "is_active"):
            if name in payload:
                facts.append(_fact(f"New {name.replace('_', ' ')}", payload[name]))
    elif operation == "version_create":
        facts.append(_fact("Effective from", payload.get("effective_from")))
        facts.append(_fact("Fee rules", len(payload.get("rules") or [])))
        for rule in payload.get("rules") or []:
            facts.append(_fact(f"Rule {rule.get('event')}", _rule_words(rule)))
    else:
        facts.append(_fact(f"Rule {payload['fields'].get('event')}", _rule_words(payload["fields"])))
    return _target("tariff", f"Tariff plan {plan.name} ({plan.code})", facts)


def _rule_words(rule: dict) -> str:
    currency = rule.get("currency") or ""
    return ", ".join(f"{key.replace('_', ' ')} {payload_value(key, value, currency)}" for key, value in rule.items()
                     if key not in ("event", "currency") and value not in (None, "", [])) or "(no parameters)"


# --- a payload in words: amounts in their currency, fractions as percentages ----------------------

#: Payload keys holding an amount (shown in the payload's currency) and a fraction (as a percentage).
AMOUNT_KEYS = ("amount", "fixed_amount", "min_fee", "max_fee", "from_volume", "threshold_amount", "exempt_below",
               "max_single_amount", "daily_amount", "monthly_amount", "overdraft_limit", "balance")
FRACTION_KEYS = ("percentage", "rate", "spread", "withholding_tax_rate", "credit_rate", "debit_rate")


def payload_value(key: str, value, currency: str = "") -> str:
    """One payload value as a person reads it: an amount (``"1217.5"`` stored as a string) through
    the one money display with its currency, ``1,217.50 EUR``; a fraction as a percentage; a
    list of tiers or legs in words; anything else as it is."""
    if value is None or value == "":
        return "-"
    if isinstance(value, dict):
        inner = value.get("currency") or currency
        return ", ".join(f"{k.replace('_', ' ')} {payload_value(k, v, inner)}" for k, v in value.items()
                         if k != "currency" and v not in (None, "", []))
    if isinstance(value, list):
        return "; ".join(payload_value(key, item, currency) for item in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        if key in AMOUNT_KEYS or key.endswith("_amount"):
            return money_display.format_money(to_decimal(value), currency) if currency else \
                money_display.format_number(to_decimal(value))
        if key in FRACTION_KEYS or key.endswith("_rate") or key.endswith("percentage"):
            return money_display.format_percent(to_decimal(value))
    except (ArithmeticError, ValueError, TypeError):
        return str(value)
    return str(value)


def payload_facts(payload: dict, currency: str = "") -> list[dict[str, Any]]:
    """The request's payload, key by key, in words (``payload_value``): what the admin's change
    page and the staff approval page show instead of the stored JSON. ``currency`` is the
    request's; a payload naming its own ``currency`` (or a leg naming its own) wins."""
    payload = payload or {}
    currency = payload.get("currency") or currency or ""
    return [_fact(key.replace("_", " ").capitalize(), payload_value(key, value, currency))
            for key, value in payload.items()]


def _generic(payload: dict, user) -> Target:
    return _target("other", "", payload_facts(payload))


DESCRIBERS = {
    "account_freeze": _account,
    "account_unfreeze": _account,
    "account_close": _account,
    "reversal": _reversal,
    "ledger_adjustment": _adjustment,
    "payment_release": _payment,
    "kyc_override": _kyc,
    "limit_change": _limit,
    "tariff_change": _tariff,
}


def describe(action_type: str, payload: dict, user) -> Target:
    describer = DESCRIBERS.get(action_type, _generic)
    try:
        target = describer(payload, user)
    except (KeyError, TypeError, ValueError):  # an old payload of another shape: show it plainly
        target = _generic(payload, user)
    if not target["title"]:
        target["title"] = action_type.replace("_", " ")
    return target
