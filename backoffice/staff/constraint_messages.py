"""What a database constraint means, in a sentence a person can act on; mapped in one place.

Django reports a violated constraint as 'Constraint “fx_rate_positive” is violated.' (the name is
for the database). ``MESSAGES`` says it in words; ``HumaneErrorsForm`` (given to every form of the
staff admin by ``admin_site.StaffAdminSite``) swaps the message when a form's model validation
reports a constraint. A constraint not listed gets a sentence built from its model and the fields
its condition names (``sentence``), never its name.

The constraints a person can break from an admin form are all listed (a test keeps it so:
tests/backoffice/admin_tool/test_admin_daily_tool.py).

Django's own checks of a decimal input ("Ensure that there are no more than 2 decimal places",
"... no more than 20 digits before the decimal point", "Enter a number.") are said here too
(``decimal_messages``), in words that name what the input holds: an amount in its currency (and
that currency's decimal places, its exponent), a fraction, a percentage, an exchange rate. The same
``HumaneErrorsForm`` gives each decimal input of an admin form these messages.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.text import get_text_list

MESSAGES: dict[str, str] = {
    # ledger
    "currency_exponent_0_18": "A currency has between 0 and 18 decimal places.",
    "currency_code_format": "A currency code is 3 to 12 capital letters or digits, such as EUR or USDC.",
    "ledger_account_id_currency": "This ledger account already exists in this currency.",
    "ledger_account_overdraft_gte_0": "The overdraft limit cannot be negative.",
    "ledger_account_shards_1_64": "A ledger account has between 1 and 64 balance shards.",
    "ledger_account_constrained_single_shard": "An account whose balance is kept above a floor (never below "
                                               "zero or the overdraft limit) has exactly one balance shard.",
    # accounts
    "product_overdraft_limits": "Overdraft limits cannot be negative, and the default limit cannot exceed the "
                                "maximum limit.",
    "product_no_overdraft_no_limit": "A product without overdraft has a maximum overdraft limit of 0.",
    "account_overdraft_gte_0": "The overdraft limit cannot be negative.",
    "account_closed_has_time": "A closed account needs the time it was closed.",
    # customers
    "customer_name_by_type": "A person needs a first and a last name; a business needs its legal name.",
    "customer_kyc_approved_has_time": "An approved KYC status needs the time it was approved.",
    "customer_address_one_per_kind": "This customer already has an address of this kind.",
    "customer_tax_residency_unique": "This customer already has a tax residency in this country.",
    "related_party_ownership_0_100": "An ownership share is above 0 % and at most 100 %.",
    "related_party_owner_has_share": "A beneficial owner needs an ownership share.",
    # payments and FX
    "booking_account_unique": "There is already a booking account for this purpose and currency.",
    "fx_rate_positive": "An exchange rate is above zero.",
    "fx_spread_0_1": "The spread is at least 0 and below 1 (a fraction: 0.005 is 0.5 %).",
    "fx_rate_distinct_pair": "An exchange rate is between two different currencies.",
    "fx_rate_unique_start": "There is already a rate for this currency pair from this time.",
    # interest
    "interest_schedule_code_not_empty": "A rate schedule needs a code.",
    "interest_schedule_convention_valid": "Choose a day-count convention from the list.",
    "interest_schedule_basis_valid": "Choose an accrual basis from the list.",
    "interest_schedule_frequency_valid": "Choose a capitalisation frequency from the list.",
    "interest_schedule_tier_mode_valid": "Choose a tier mode from the list.",
    "interest_schedule_minimum_gte_0": "The minimum balance cannot be negative.",
    "interest_schedule_withholding_0_1": "The withholding tax rate is at least 0 and below 1 (a fraction: 0.15 is "
                                         "15 %).",
    "interest_rate_one_per_date": "This schedule already has a rate version starting on this date.",
    "interest_rate_credit_bounds": "The credit rate is above -1 and below 1 (a fraction: 0.02 is 2 %).",
    "interest_rate_debit_bounds": "The debit rate is at least 0 and below 1 (a fraction: 0.12 is 12 %).",
    "interest_tier_one_per_start": "This rate version already has a tier starting at this balance.",
    "interest_tier_from_gte_0": "A tier starts at a balance of 0 or more.",
    "interest_tier_rate_bounds": "A tier's rate is above -1 and below 1 (a fraction: 0.02 is 2 %).",
    # deposits
    "deposit_product_code_not_empty": "A deposit product needs a code.",
    "deposit_product_convention_valid": "Choose a day-count convention from the list.",
    "deposit_product_term_unit_valid": "Choose days or months as the term unit.",
    "deposit_product_term_range": "The shortest term is at least 1 and the longest term is not shorter.",
    "deposit_product_amount_range": "The minimum amount is above zero and the maximum amount, if any, is not "
                                    "below it.",
    "deposit_product_rate_0_1": "The default rate is at least 0 and below 1 (a fraction: 0.03 is 3 %).",
    "deposit_product_withholding_0_1": "The withholding tax rate is at least 0 and below 1 (a fraction: 0.15 is "
                                       "15 %).",
    "deposit_product_penalty_rate_0_1": "The penalty rate is between 0 and 1 (a fraction: 0.01 is 1 %).",
    # loans
    "loans_product_code_not_empty": "A loan product needs a code.",
    "loans_product_method_valid": "Choose an amortisation method from the list.",
    "loans_product_convention_valid": "Choose a day-count convention from the list.",
    "loans_product_frequency_valid": "Choose monthly or quarterly instalments.",
    "loans_product_rates_ordered": "Rates must satisfy 0 ≤ minimum ≤ default ≤ maximum < 1 (fractions: 0.05 is "
                                   "5 %).",
    "loans_product_terms_ordered": "The shortest term is at least 1 and not longer than the longest term.",
    "loans_product_amounts_ordered": "The minimum amount is above zero and not above the maximum amount.",
    "loans_product_fees_gte_0": "The instalment fee and the late fee cannot be negative.",
    # reconciliation
    "rec_extacct_identifier_currency": "This external account already exists in this currency.",
    "rec_extacct_identifier_not_blank": "An external account needs its account number or IBAN.",
    # API clients
    "api_client_kind_valid": "Choose partner or bank channel as the kind of client.",
    # tariffs
    "tariff_plan_code_not_empty": "A tariff plan needs a code.",
    "tariff_version_one_per_date": "This plan already has a version starting on this date.",
    "fee_rule_one_per_event_channel": "This version already has a fee rule for this event and channel.",
    "fee_rule_fixed_gte_0": "The fixed fee cannot be negative.",
    "fee_rule_percentage_0_1": "The fee percentage is between 0 % and 100 %.",
    "fee_rule_min_gte_0": "The minimum fee cannot be negative.",
    "fee_rule_min_lte_max": "The maximum fee cannot be below the minimum fee.",
    "fee_rule_allowance_gte_0": "The number of free payments cannot be negative.",
    "fee_rule_period_valid": "Choose day or month as the allowance period.",
    "fee_rule_event_valid": "Choose the event the fee is charged on from the list.",
    "fee_rule_channel_valid": "Choose a channel from the list, or none for every channel.",
    "fee_tier_one_per_start": "This rule already has a tier starting at this volume.",
    "fee_tier_from_gt_0": "A tier starts at a volume above zero (the rule itself prices the first band).",
    "fee_tier_percentage_0_1": "A tier's percentage is between 0 % and 100 %.",
    "fee_tier_fixed_gte_0": "A tier's fixed fee cannot be negative.",
    "customer_tariff_dates_ordered": "The end date cannot be before the start date.",
    "customer_tariff_one_per_start": "This customer already has a tariff starting on this date.",
    # limits
    "limit_profile_code_not_empty": "A limit profile needs a code.",
    "limit_rule_exactly_one_scope": "A limit rule belongs to exactly one of a profile, a customer or an account.",
    "limit_rule_channel_valid": "Choose a channel from the list, or none for every channel.",
    "limit_rule_limits_not_negative": "Limits cannot be negative.",
    "limit_rule_has_a_limit": "Set at least one limit (an amount or a count).",
    "limit_rule_periods_ordered": "A single payment's limit cannot exceed the daily limit, nor the daily limit "
                                  "the monthly one.",
    "limit_rule_profile_channel_unique": "This profile already has a rule for this channel; change that rule "
                                         "instead.",
    "limit_rule_customer_channel_unique": "This customer already has a rule for this channel; change that rule "
                                          "instead.",
    "limit_rule_account_channel_unique": "This account already has a rule for this channel; change that rule "
                                         "instead.",
    # tickets
    "tickets_sla_one_per_priority": "This category already has an SLA for this priority.",
    "tickets_sla_minutes": "The response time is above zero and the resolution time is not shorter than it.",
    "tickets_sla_priority_valid": "Choose a priority from the list.",
    # API tokens
    "api_token_prefix_length": "A token's prefix is 8 characters long.",
    "api_token_secret_hash_length": "A token's secret is stored as a 64-character hash.",
    "api_token_expires_after_creation": "A token expires after it is issued.",
    # KYC applications
    "kyc_app_status_valid": "Choose a review status from the list.",
    "kyc_app_kind_valid": "Choose onboarding or periodic review.",
    "kyc_app_risk_rating_valid": "Choose a risk rating from the list.",
    "kyc_app_approved_is_decided": "An approved application needs who decided, when, and a risk rating.",
    "kyc_app_rejected_has_reason": "A rejected application needs when it was decided and a rejection reason.",
    "kyc_app_reason_code_only_rejected": "Only a rejected application has a rejection reason.",
    "kyc_app_submitted_has_time": "A submitted application needs the time it was submitted.",
    "kyc_app_first_approval_pair": "A first approval needs both who gave it and when.",
    "kyc_app_high_risk_four_eyes": "A high-risk approval needs a first approval by another person.",
    "kyc_app_one_open_per_customer": "This customer already has an open KYC application; continue that one.",
    # tickets
    "ticket_status_valid": "Choose a ticket status from the list.",
    "ticket_priority_valid": "Choose a priority from the list.",
    "ticket_resolved_has_time": "A resolved ticket needs the time it was resolved.",
    "ticket_closed_has_time": "A closed ticket needs the time it was closed.",
    "ticket_due_times_ordered": "The resolution is due no earlier than the first response.",
    "ticket_escalation_level_range": "A ticket is escalated at most twice.",
    "ticket_escalation_covers_breaches": "A ticket whose SLA was missed is escalated once per missed target.",
    # approvals
    "approval_policy_required_1_5": "A policy needs between 1 and 5 approvals.",
    "approval_policy_expiry_positive": "A request expires after at least 1 hour.",
    "approval_policy_threshold_currency": "A threshold is an amount above zero with its currency.",
    "approval_policy_exempt_below_currency": "An exemption amount is above zero with its currency.",
}

_VIOLATED = re.compile(r"^Constraint “(?P<name>[^”]+)” is violated\.$")


def _condition_fields(condition) -> list[str]:
    names: list[str] = []

    def walk(node) -> None:
        if isinstance(node, Q):
            for child in node.children:
                walk(child)
        elif isinstance(node, tuple) and len(node) == 2:
            names.append(str(node[0]).split("__")[0])
            walk(node[1])
        elif isinstance(node, F):
            names.append(node.name.split("__")[0])
    walk(condition)
    return list(dict.fromkeys(names))


def _labels(model, names) -> list[str]:
    labels = []
    for name in names:
        try:
            labels.append(str(model._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            continue
    return labels


def constraint_of(model, name: str):
    return next((c for c in model._meta.constraints if c.name == name), None)


def sentence(model, name: str) -> str:
    """What the constraint ``name`` of ``model`` asks, in words."""
    if name in MESSAGES:
        return MESSAGES[name]
    what = str(model._meta.verbose_name) if model is not None else "record"
    constraint = constraint_of(model, name) if model is not None else None
    if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
        fields = get_text_list(_labels(model, constraint.fields), "and")
        return f"Another {what} already has the same {fields}."
    condition = getattr(constraint, "condition", None)
    labels = _labels(model, _condition_fields(condition)) if condition is not None else []
    if labels:
        return f"This {what} is not valid: check {get_text_list(labels, 'and')}."
    return f"This {what} is not valid."


def _is_decimal(model, name) -> bool:
    try:
        return isinstance(model._meta.get_field(name), models.DecimalField)
    except (FieldDoesNotExist, TypeError):
        return False


def humanize(error: ValidationError, model) -> ValidationError:
    """``error`` with every constraint message swapped for its sentence (in place; returned)."""
    leaves = [(name, leaf) for name, leaves in error.error_dict.items() for leaf in leaves] \
        if hasattr(error, "error_dict") else [(None, leaf) for leaf in error.error_list]
    for field_name, leaf in leaves:
        message = leaf.message if isinstance(leaf.message, str) else str(leaf.message)
        match = _VIOLATED.match(message)
        if match:
            leaf.message, leaf.params = sentence(model, match["name"]), None
            continue
        params = leaf.params if isinstance(leaf.params, dict) else {}
        if leaf.code in DECIMAL_CODES and model is not None and _is_decimal(model, field_name):
            words = decimal_messages(model, field_name).get(leaf.code)
            if words:
                leaf.message = words
            continue
        check = params.get("unique_check")
        if leaf.code == "unique_together" and check:
            named = next((c for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)
                          and tuple(c.fields) == tuple(check) and c.name in MESSAGES), None)
            if named is not None:
                leaf.message, leaf.params = MESSAGES[named.name], None
    return error


# --- Django's checks of a decimal input, in words -------------------------------------------------

DECIMAL_CODES = ("max_decimal_places", "max_whole_digits", "max_digits", "invalid")


def _example(exponent: int) -> str:
    return "1217" if exponent <= 0 else f"1217.{'57'.ljust(exponent, '0')[:exponent]}"


def decimal_messages(model, name: str, field=None, instance=None) -> dict[str, str]:
    """The messages of a decimal input of ``model.<name>`` per Django's error code
    (``max_decimal_places``, ``max_whole_digits``, ``max_digits``, ``invalid``), saying what the
    input holds (``admin_money.classify``): an amount (in ``instance``'s currency when it has one,
    naming that currency's decimal places), a fraction, a percentage (``field`` a ``PercentField``),
    an exchange rate, a share. ``%(max)s`` is filled in by Django with the limit that was hit (so a
    percent sign is written ``%%``)."""
    from core_banking.common import money_display

    from .admin_money import FX_RATE, MONEY, PERCENT, SHARE, PercentField, classify, currency_at

    try:
        label = str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        label = name.replace("_", " ")
    label = label[:1].upper() + label[1:]
    kind, spec = classify(model, name) or (None, None)
    if isinstance(field, PercentField):
        return {
            "max_decimal_places": f"Too many decimal places: {label} is a percentage (0.25 means 0.25 %%) with at "
                                  "most %(max)s decimal places.",
            "max_whole_digits": f"Too large: {label} is a percentage, between 0 and 100.",
            "max_digits": f"Too many digits: {label} is a percentage, between 0 and 100, with at most %(max)s "
                          "digits in all.",
            "invalid": f"Type {label} as a percentage, such as 0.25 for 0.25 %% (a point for decimals).",
        }
    if kind == MONEY:
        code = ""
        if instance is not None:
            try:
                code = str(currency_at(instance, spec) or "")
            except Exception:  # noqa: BLE001 - a new row without its currency yet: said in general
                code = ""
        if code:
            exponent = money_display.exponent_of(code)
            places = f"{code} amounts have {exponent} decimal place{'s' if exponent != 1 else ''}"
            example = _example(exponent)
        else:
            places, example = "an amount has its currency's decimal places (2 for EUR, 0 for JPY)", "1217.57"
        return {
            "max_decimal_places": f"Too many decimal places: {label} is an amount of money; {places}, such as "
                                  f"{example}, and at most %(max)s are kept.",
            "max_whole_digits": f"Too large: {label} is an amount of money with at most %(max)s digits before the "
                                "decimal point.",
            "max_digits": f"Too many digits: {label} is an amount of money with at most %(max)s digits in all.",
            "invalid": f"Type {label} as an amount, such as {example}: digits, a point for decimals, no thousands "
                       "separators or currency.",
        }
    if kind == PERCENT:
        return {
            "max_decimal_places": f"Too many decimal places: {label} is a fraction (0.015 is 1.5 %%) with at most "
                                  "%(max)s decimal places.",
            "max_whole_digits": f"Too large: {label} is a fraction, not a percentage: type 0.015 for 1.5 %% (at most "
                                "%(max)s digit before the decimal point).",
            "max_digits": f"Too many digits: {label} is a fraction (0.015 is 1.5 %%) with at most %(max)s digits in "
                          "all.",
            "invalid": f"Type {label} as a fraction, such as 0.015 for 1.5 %%.",
        }
    if kind == FX_RATE:
        return {
            "max_decimal_places": "Too many decimal places: an exchange rate has at most %(max)s (1 EUR = 1.0845 USD "
                                  "is typed 1.0845).",
            "max_whole_digits": "Too large: an exchange rate has at most %(max)s digits before the decimal point.",
            "max_digits": "Too many digits: an exchange rate has at most %(max)s digits in all.",
            "invalid": "Type the exchange rate as a number, such as 1.0845 (units of the quote currency for one "
                       "unit of the base currency).",
        }
    if kind == SHARE:
        return {
            "max_decimal_places": f"Too many decimal places: {label} is a percentage (25.5 means 25.5 %%) with at "
                                  "most %(max)s decimal places.",
            "max_whole_digits": f"Too large: {label} is a percentage, at most 100.",
            "max_digits": f"Too many digits: {label} is a percentage, at most 100.",
            "invalid": f"Type {label} as a percentage, such as 25.5.",
        }
    return {
        "max_decimal_places": f"Too many decimal places: {label} has at most %(max)s.",
        "max_whole_digits": f"Too large: {label} has at most %(max)s digits before the decimal point.",
        "max_digits": f"Too many digits: {label} has at most %(max)s digits in all.",
        "invalid": f"Type {label} as a number, such as 1.5 (a point for decimals).",
    }


def humanize_inputs(form) -> None:
    """Give each decimal input of ``form`` (a ModelForm) the messages of ``decimal_messages``."""
    model = form._meta.model
    instance = getattr(form, "instance", None)
    for name, field in form.fields.items():
        if isinstance(field, forms.DecimalField):
            field.error_messages = {**field.error_messages,
                                    **decimal_messages(model, name, field, instance)}


class HumaneErrorsForm:
    """A ModelForm mixin: the model's constraint messages in words (``MESSAGES``), and the checks
    of its decimal inputs in words (``decimal_messages``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        humanize_inputs(self)

    def _update_errors(self, errors):
        humanize(errors, self._meta.model)
        return super()._update_errors(errors)


def humane(form_class):
    """``form_class`` with ``HumaneErrorsForm`` in front (ModelForms only), once."""
    if not hasattr(form_class, "_meta") or issubclass(form_class, HumaneErrorsForm):
        return form_class
    return type(form_class.__name__, (HumaneErrorsForm, form_class), {"__module__": form_class.__module__})

