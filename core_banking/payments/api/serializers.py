"""Serializers of the payments and FX API. Amounts are JSON strings (see the ledger's
``AmountField``); outputs carry as many decimals as the currency's exponent."""

from __future__ import annotations

from rest_framework import serializers

from core_banking.common.api.serializers import FieldsBuiltOnce, OutputModelSerializer
from core_banking.common.api.strict import DecimalStringField, StrictInputSerializer
from core_banking.ledger.api.serializers import MAX_ID, AmountField, CurrencyCodeField
from core_banking.payments.models import Channel, FxQuote, FxRate, Payment, PaymentStatusChange
from core_banking.payments.services import PaymentRequest, payment_request


def _text(max_length: int, help_text: str = "") -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True, default="",
                                 help_text=help_text)


class PaymentInputSerializer(FieldsBuiltOnce, StrictInputSerializer):
    kind = serializers.ChoiceField(choices=Payment.Kind.choices)
    amount = AmountField(help_text='Positive, as a string, e.g. "25.00".')
    currency = CurrencyCodeField()
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    debtor_account_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True,
                                                 default=None, help_text="Our account that pays.")
    creditor_account_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True,
                                                   default=None, help_text="Our account that receives.")
    creditor_iban = _text(34, "Our account that receives, by IBAN (instead of creditor_account_id).")
    counterparty_iban = _text(42, "The other bank's account: the beneficiary (outgoing) or the payer (incoming).")
    counterparty_name = _text(140)
    counterparty_bic = _text(11)
    remittance_info = _text(140, "Unstructured remittance information shown to both sides.")
    end_to_end_id = _text(64, "The scheme's end-to-end id (incoming payments, returns).")
    target_currency = CurrencyCodeField(required=False, allow_blank=True, default="",
                                        help_text="FX conversion: the currency bought.")
    quote_id = _text(32, "FX conversion: a quote from /fx/quotes/ to honour.")

    def payment_request(self) -> PaymentRequest:
        """The checked request the payment services take, built once from the validated body
        (the domain rules: currency, amount, IBANs, the accounts each kind needs)."""
        return payment_request(**self.validated_data)


class ReasonSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RequiredReasonSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=500)


class StatusChangeSerializer(OutputModelSerializer):
    class Meta:
        model = PaymentStatusChange
        fields = ["from_status", "to_status", "reason", "actor", "at"]


class PaymentOutputSerializer(OutputModelSerializer):  # rendered by every payment request: fields built once
    amount = AmountField(exponent_source="currency.exponent")
    fee_amount = AmountField(exponent_source="currency.exponent")
    target_amount = AmountField(exponent_source="target_currency.exponent", allow_null=True)
    currency = serializers.CharField(source="currency_id")
    fee_currency = serializers.CharField(source="fee_currency_id", allow_null=True)
    target_currency = serializers.CharField(source="target_currency_id", allow_null=True)
    debtor_iban = serializers.CharField(source="debtor_account.iban", default=None, allow_null=True)
    creditor_iban = serializers.CharField(source="creditor_account.iban", default=None, allow_null=True)
    fx_quote = serializers.CharField(source="fx_quote_id", allow_null=True)
    entry_id = serializers.IntegerField(allow_null=True)
    hold_id = serializers.IntegerField(allow_null=True)
    return_entry_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = Payment
        fields = [
            "id", "reference", "kind", "status", "channel", "debtor_account", "debtor_iban", "creditor_account",
            "creditor_iban", "amount", "currency", "counterparty_iban", "counterparty_name", "counterparty_bic",
            "counterparty_country", "remittance_info", "end_to_end_id", "fee_amount", "fee_currency", "fees",
            "fx_quote", "fx_rate", "fx_mid_rate", "target_amount", "target_currency", "entry_id", "hold_id",
            "return_entry_id", "review_reasons", "status_reason", "business_date", "created_at", "posted_at",
        ]


class PaymentDetailSerializer(PaymentOutputSerializer):
    status_changes = StatusChangeSerializer(many=True, read_only=True)

    class Meta(PaymentOutputSerializer.Meta):
        fields = [*PaymentOutputSerializer.Meta.fields, "status_changes"]


class PaymentFilterSerializer(serializers.Serializer):
    reference = serializers.CharField(required=False, help_text="Our reference or the end-to-end id.")
    iban = serializers.CharField(required=False, help_text="Our account on either side, or the counterparty.")
    customer = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    account = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    amount_min = AmountField(required=False)
    amount_max = AmountField(required=False)
    created_from = serializers.DateTimeField(required=False)
    created_to = serializers.DateTimeField(required=False)
    date_from = serializers.DateField(required=False, help_text="Business date, inclusive.")
    date_to = serializers.DateField(required=False, help_text="Business date, inclusive.")
    status = serializers.ChoiceField(choices=Payment.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=Payment.Kind.choices, required=False)


class FeeSerializer(serializers.Serializer):
    code = serializers.CharField()
    amount = serializers.SerializerMethodField()
    currency = serializers.CharField()
    description = serializers.CharField()
    details = serializers.DictField()

    def get_amount(self, fee) -> str:
        return format(fee.amount, "f")


class PreviewOutputSerializer(serializers.Serializer):
    fees = FeeSerializer(many=True)
    fee_total = serializers.SerializerMethodField()
    total_debit = serializers.SerializerMethodField()
    fx_rate = serializers.DecimalField(max_digits=28, decimal_places=12, allow_null=True)
    fx_mid_rate = serializers.DecimalField(max_digits=28, decimal_places=12, allow_null=True)
    target_amount = serializers.SerializerMethodField()

    def get_fee_total(self, preview) -> str:
        return format(preview.fee_total, "f")

    def get_total_debit(self, preview) -> str | None:
        return None if preview.total_debit is None else format(preview.total_debit, "f")

    def get_target_amount(self, preview) -> str | None:
        return None if preview.target_amount is None else format(preview.target_amount, "f")


class FxRateInputSerializer(StrictInputSerializer):
    base = CurrencyCodeField()
    quote = CurrencyCodeField()
    mid_rate = DecimalStringField(max_digits=28, decimal_places=12, help_text="1 base = mid_rate quote, as a string.")
    spread = DecimalStringField(max_digits=8, decimal_places=6, required=False, allow_null=True, default=None,
                                help_text='A fraction, as a string: "0.005" is 0.5%.')
    valid_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
    source = _text(64)


class FxRateOutputSerializer(serializers.ModelSerializer):
    base = serializers.CharField(source="base_id")
    quote = serializers.CharField(source="quote_id")

    class Meta:
        model = FxRate
        fields = ["id", "base", "quote", "mid_rate", "spread", "valid_from", "source", "created_at"]


class FxQuoteInputSerializer(StrictInputSerializer):
    sell_currency = CurrencyCodeField()
    buy_currency = CurrencyCodeField()
    sell_amount = AmountField()


class FxQuoteOutputSerializer(serializers.ModelSerializer):
    sell_currency = serializers.CharField(source="sell_currency_id")
    buy_currency = serializers.CharField(source="buy_currency_id")
    sell_amount = AmountField(exponent_source="sell_currency.exponent")
    buy_amount = AmountField(exponent_source="buy_currency.exponent")

    class Meta:
        model = FxQuote
        fields = ["id", "sell_currency", "buy_currency", "sell_amount", "buy_amount", "rate", "mid_rate", "spread",
                  "expires_at", "created_at"]
