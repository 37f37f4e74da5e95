"""Serializers of the ledger API: inputs validate the shape of a request, outputs render rows.

Money in JSON is always a string with its currency next to it. Inputs accept amounts only as
plain decimal JSON strings (``"10.50"``; ``core_banking.common.api.strict``): a JSON number is
parsed as a binary float, which may already have lost precision, and a float must never reach
money code; ``"1E+2"`` or ``" 1"`` is not an amount either. Outputs give exactly as many decimal
places as the currency's exponent (``"10.50"`` EUR, ``"1000"`` JPY, ``"1.250"`` BHD).

Domain rules (balance, exponent, funds, idempotency) are the services' job; these serializers
only refuse what is malformed, so that every refusal of substance has one source and one code.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from rest_framework import serializers
from rest_framework.fields import get_attribute

from core_banking.common.api.strict import UNKNOWN_CURRENCY, DecimalStringField, StrictInputSerializer
from core_banking.common.money import quantize
from core_banking.ledger.hashing import canonical_json
from core_banking.ledger.models import AccountType, BalanceRule, Currency, EntryKind, LedgerAccount
from core_banking.ledger.selectors import currency_precheck

MAX_POSTINGS = 500
MAX_BULK_ENTRIES = 10_000
MAX_METADATA_BYTES = 8_192
CURRENCY_CODE = r"^[A-Z0-9]{3,12}$"
MAX_ID = 2**63 - 1  # bigint
POSTABLE_KINDS = [EntryKind.TRANSFER.value, EntryKind.ADJUSTMENT.value]


# --- fields --------------------------------------------------------------------------------


class AmountField(DecimalStringField):
    """A money amount as a plain decimal JSON string (``DecimalStringField``).

    Input: a string only (never a JSON number), digits with an optional ``-`` and decimal point
    (no exponent, ``+``, spaces or non-ASCII digits), up to 20 integer and 18 decimal digits;
    whether it fits its currency's exponent is checked by the services (``invalid_amount``).
    Output: a plain decimal string, quantized to the currency's exponent read from
    ``exponent_source`` (a dotted path on the instance), or as given when the value is already
    quantized (selectors' results).
    """

    default_error_messages = {
        "not_a_string": 'Send amounts as JSON strings, e.g. "10.50", not as numbers: a JSON number '
        "is a binary float and may already have lost precision.",
    }

    def __init__(self, *, exponent_source: str | None = None, **kwargs) -> None:
        kwargs.setdefault("max_digits", 38)
        kwargs.setdefault("decimal_places", 18)
        self.exponent_source = exponent_source.split(".") if exponent_source else None
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        if value is None or self.exponent_source is None:
            return value
        exponent = get_attribute(instance, self.exponent_source)
        return quantize(value, exponent)

    def to_representation(self, value) -> str:
        return format(value.copy_abs() if value.is_zero() else value, "f")  # never "-0.00"


class CurrencyCodeField(serializers.RegexField):
    """A currency or asset code that is in the currency table; any other is ``unknown_currency``
    (whether it is active, and matches its account, is the services' check)."""

    default_error_messages = {
        UNKNOWN_CURRENCY: "Unknown currency {code}: it is not in the currency table.",
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", "Currency or asset code, e.g. EUR.")
        super().__init__(CURRENCY_CODE, max_length=12, **kwargs)

    def to_internal_value(self, data) -> str:
        code = super().to_internal_value(data)
        # Known codes are remembered for the rest of this validation (a batch names EUR 10,000 times).
        known = self.root.__dict__.setdefault("_known_currency_codes", set())
        if code not in known:
            if currency_precheck(code) is None:  # (the services check it again in their transaction)
                self.fail(UNKNOWN_CURRENCY, code=code)
            known.add(code)
        return code


class ActiveCurrencyField(serializers.SlugRelatedField):
    """An active currency, by code, as its ``Currency`` row; any other code is ``unknown_currency``."""

    default_error_messages = {
        UNKNOWN_CURRENCY: "Unknown or inactive currency {code}.",
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", "An active currency code, e.g. EUR.")
        super().__init__(slug_field="code", queryset=Currency.objects.filter(is_active=True), **kwargs)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if error.get_codes() == ["does_not_exist"]:
                self.fail(UNKNOWN_CURRENCY, code=data)
            raise


class BoundedListField(serializers.ListField):
    """A list whose length is checked before its items are (a 10^6-item body is refused at once),
    with errors keyed by item index: ``{"57": {...}}`` rather than a list of empty objects."""

    def to_internal_value(self, data):
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


#: Keys the engine's own services write (the books check trusts ``payment`` to name a payment).
RESERVED_METADATA_KEYS = frozenset({"payment", "payment_kind", "return_of", "approval_request"})


class MetadataField(serializers.DictField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", dict)
        kwargs.setdefault("help_text", f"A JSON object, at most {MAX_METADATA_BYTES} bytes.")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if len(canonical_json(value).encode()) > MAX_METADATA_BYTES:
            raise serializers.ValidationError(f"Metadata may be at most {MAX_METADATA_BYTES} bytes of JSON.")
        reserved = sorted(RESERVED_METADATA_KEYS & set(value))
        if reserved:
            raise serializers.ValidationError(f"Metadata key(s) {', '.join(reserved)} are written by the engine "
                                              "(a payment's entry names its payment); a client may not set them.")
        return value


def _text(max_length: int, help_text: str = "") -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True, default="",
                                 help_text=help_text)


# --- journal entries -----------------------------------------------------------------------


class PostingInputSerializer(StrictInputSerializer):
    account_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    amount = AmountField(help_text='Signed: a debit is positive, a credit negative, e.g. "-10.50".')
    currency = CurrencyCodeField(
        required=False, help_text="Optional; when given it must be the account's currency."
    )


class _EntryFieldsSerializer(StrictInputSerializer):
    postings = BoundedListField(
        child=PostingInputSerializer(), min_length=2, max_length=MAX_POSTINGS,
        help_text="Per currency, the amounts sum to zero.",
    )
    external_ref = _text(128, "The client's reference; entries can be looked up by it.")
    description = _text(500)
    metadata = MetadataField()
    value_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Defaults to the business date."
    )


class EntryInputSerializer(_EntryFieldsSerializer):
    kind = serializers.ChoiceField(choices=POSTABLE_KINDS, default=EntryKind.TRANSFER)


class BulkEntryInputSerializer(_EntryFieldsSerializer):
    """A transfer in a batch (adjustments are posted one by one)."""

    refused = {"kind": "A batch holds transfers only: a manual adjustment is posted alone, through "
               "POST /api/v1/ledger/entries/, and needs approval."}

    idempotency_key = serializers.CharField(
        max_length=128, required=False,
        help_text="This entry's own key; by default `<Idempotency-Key header>#<index>`.",
    )


class BulkInputSerializer(StrictInputSerializer):
    entries = BoundedListField(
        child=BulkEntryInputSerializer(), min_length=1, max_length=MAX_BULK_ENTRIES,
        help_text=f"1 to {MAX_BULK_ENTRIES} entries, written in one transaction: all or none.",
    )


class PostingOutputSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    currency = serializers.CharField(source="currency_id")
    amount = AmountField(exponent_source="currency.exponent", help_text="Signed: debit positive.")
    balance_after = AmountField(
        exponent_source="currency.exponent",
        help_text="The balance after this posting in the account's normal orientation (positive "
        "when a credit-normal account is in credit); for an account with several balance shards, "
        "the balance of the shard this posting went to.",
    )
    posted_at = serializers.DateTimeField()


class EntryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    business_date = serializers.DateField()
    value_date = serializers.DateField()
    created_at = serializers.DateTimeField()
    external_ref = serializers.CharField()
    description = serializers.CharField()
    metadata = serializers.DictField()
    reverses = serializers.IntegerField(source="reverses_id", allow_null=True,
                                        help_text="The entry this one reverses.")
    reversed_by = serializers.IntegerField(source="reversal_id", allow_null=True,
                                           help_text="The entry that reverses this one.")
    hash = serializers.CharField(help_text="Link of the entry in its tamper-evident hash chain.")
    postings = PostingOutputSerializer(many=True, source="postings.all")


class BulkEntryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_ref = serializers.CharField()


class EntryFilterSerializer(serializers.Serializer):
    account = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID,
                                       help_text="Entries with a posting on this ledger account.")
    external_ref = serializers.CharField(required=False, max_length=128)
    kind = serializers.ChoiceField(required=False, choices=EntryKind.choices)
    date_from = serializers.DateField(required=False, help_text="Business date, inclusive.")
    date_to = serializers.DateField(required=False, help_text="Business date, inclusive.")
    created_from = serializers.DateTimeField(required=False, help_text="Creation instant, inclusive.")
    created_to = serializers.DateTimeField(required=False, help_text="Creation instant, exclusive.")


class ReverseInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=500, help_text="Why; recorded on the reversal and in the audit trail.")


# --- accounts ------------------------------------------------------------------------------


class AccountOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=AccountType.choices)
    currency = serializers.CharField(source="currency_id")
    parent_id = serializers.IntegerField(allow_null=True)
    is_synthetic = serializers.BooleanField()
    balance_rule = serializers.ChoiceField(choices=BalanceRule.choices)
    overdraft_limit = AmountField(exponent_source="currency.exponent")
    shard_count = serializers.IntegerField()
    is_active = serializers.BooleanField()
    external_id = serializers.CharField()
    created_at = serializers.DateTimeField()


class AccountCreateInputSerializer(StrictInputSerializer):
    code = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$", max_length=64,
                                  help_text="Unique; letters, digits and . _ : / -")
    name = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=AccountType.choices)
    currency = CurrencyCodeField()
    parent_id = serializers.PrimaryKeyRelatedField(
        source="parent", queryset=LedgerAccount.objects.all(), required=False, allow_null=True, default=None,
        help_text="A general-ledger account of the same type.",
    )
    is_synthetic = serializers.BooleanField(default=False)
    balance_rule = serializers.ChoiceField(choices=BalanceRule.choices, default=BalanceRule.UNCONSTRAINED)
    overdraft_limit = AmountField(default=Decimal(0), help_text="For the overdraft_limit rule.")
    shard_count = serializers.IntegerField(min_value=1, max_value=64, default=1,
                                           help_text="Only unconstrained accounts may have more than one.")
    external_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class AccountFilterSerializer(serializers.Serializer):
    code = serializers.CharField(required=False, max_length=64, help_text="Code prefix, e.g. 2100.")
    type = serializers.ChoiceField(required=False, choices=AccountType.choices)
    currency = CurrencyCodeField(required=False)
    is_synthetic = serializers.BooleanField(required=False, allow_null=True, default=None)
    parent = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class BalanceQuerySerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(required=False, help_text="An instant (ISO 8601).")
    business_date = serializers.DateField(required=False, help_text="The close of this business date.")

    def validate(self, attrs):
        if "as_of" in attrs and "business_date" in attrs:
            raise serializers.ValidationError("Give either as_of or business_date, not both.")
        return attrs


class BalanceOutputSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    currency = serializers.CharField()
    posted = AmountField(help_text="The ledger balance, in the account's normal orientation.")
    held = AmountField(allow_null=True, help_text="Reserved by pending holds; null for a past balance.")
    pending_in = AmountField(allow_null=True, help_text="Pending incoming holds; null for a past balance.")
    available = AmountField(allow_null=True, help_text="posted - held; null for a past balance.")
    as_of = serializers.DateTimeField(allow_null=True, help_text="The instant; null for the current balance.")


class StatementQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(help_text="First business date, inclusive.")
    date_to = serializers.DateField(help_text="Last business date, inclusive.")

    def validate(self, attrs):
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": "The period ends before it starts."})
        return attrs


class StatementLineOutputSerializer(serializers.Serializer):
    posting_id = serializers.IntegerField()
    entry_id = serializers.IntegerField()
    posted_at = serializers.DateTimeField()
    business_date = serializers.DateField()
    value_date = serializers.DateField()
    external_ref = serializers.CharField()
    description = serializers.CharField()
    debit = AmountField()
    credit = AmountField()
    balance = AmountField(help_text="Running balance after this line.")


class StatementOutputSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    currency = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    opening_balance = AmountField()
    closing_balance = AmountField()
    lines = StatementLineOutputSerializer(many=True)
    truncated = serializers.BooleanField(help_text="The period has more lines than one statement holds.")


# --- holds ---------------------------------------------------------------------------------


class HoldCreateInputSerializer(StrictInputSerializer):
    debit_account_id = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                                help_text="The account the funds are reserved on.")
    credit_account_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    amount = AmountField(help_text="Positive.")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    external_ref = _text(128)
    description = _text(500)
    metadata = MetadataField()

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The expiry must be in the future.")
        return value


class HoldPostInputSerializer(StrictInputSerializer):
    amount = AmountField(required=False, allow_null=True, default=None,
                         help_text="Post for less than the hold; default: the full amount.")


class HoldVoidInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class HoldOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    debit_account_id = serializers.IntegerField()
    credit_account_id = serializers.IntegerField()
    currency = serializers.CharField(source="currency_id")
    amount = AmountField(exponent_source="currency.exponent")
    posted_amount = AmountField(exponent_source="currency.exponent", allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    external_ref = serializers.CharField()
    description = serializers.CharField()
    metadata = serializers.DictField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    entry_id = serializers.IntegerField(allow_null=True, help_text="The entry that posted the hold.")


# --- trial balance -------------------------------------------------------------------------


class TrialBalanceQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="A business date (its close); default: now.")
    currency = CurrencyCodeField(required=False)


class TrialBalanceRowOutputSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=AccountType.choices)
    currency = serializers.CharField()
    debit = AmountField()
    credit = AmountField()


class TrialBalanceTotalOutputSerializer(serializers.Serializer):
    currency = serializers.CharField()
    debit = AmountField()
    credit = AmountField()
    balanced = serializers.BooleanField()


class TrialBalanceOutputSerializer(serializers.Serializer):
    as_of = serializers.DateField(allow_null=True)
    balanced = serializers.BooleanField(help_text="Debits equal credits in every currency.")
    rows = TrialBalanceRowOutputSerializer(many=True)
    totals = TrialBalanceTotalOutputSerializer(many=True)
