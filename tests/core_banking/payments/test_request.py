"""The payment request is checked once (``payment_request``) and the services take it as it is;
an FX payment's legs come from the ledger's one builder (``fx_legs``)."""

import dataclasses
from decimal import Decimal

import pytest

from core_banking.ledger import services as ledger
from core_banking.ledger.models import Posting
from core_banking.payments import services
from core_banking.payments.api.serializers import PaymentInputSerializer
from core_banking.payments.exceptions import InvalidPayment
from core_banking.payments.models import Payment
from core_banking.payments.seams import FeeCharge
from tests import banking

pytestmark = pytest.mark.django_db

D = Decimal


def test_a_request_is_normalized_once_and_frozen(bank, eur_product, ada):
    a = banking.account(ada, eur_product)
    request = services.payment_request(kind="outgoing", amount="12.5", currency="EUR", debtor_account_id=a.pk,
                                       counterparty_iban=" de89 3704 0044 0532 0130 00 ", counterparty_name=" Max ")
    assert request.amount == D("12.5") and request.channel == "api"
    assert request.counterparty_iban == "DE89370400440532013000" and request.counterparty_name == "Max"
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.amount = D("1")  # type: ignore[misc]
    with pytest.raises(InvalidPayment) as refused:
        services.payment_request(kind="outgoing", amount="1.00", currency="EUR", debtor_account_id=a.pk)
    assert refused.value.extra["field"] == "counterparty_iban"


def test_the_request_or_its_keywords_make_the_same_payment(bank, eur_product, ada, bram):
    a, b = banking.account(ada, eur_product), banking.account(bram, eur_product)
    banking.fund(bank, a, "100.00")
    fields = dict(kind="internal_transfer", amount="30.00", currency="EUR", debtor_account_id=a.pk,
                  creditor_account_id=b.pk)
    first, _ = services.payment_create(services.payment_request(**fields), idempotency_key="k")
    again, replayed = services.payment_create(idempotency_key="k", **fields)
    assert replayed and again.pk == first.pk
    assert services.payment_preview(services.payment_request(**fields)).total_debit == D("30.00")
    with pytest.raises(TypeError, match="not both"):
        services.payment_create(services.payment_request(**fields), idempotency_key="k2", amount="5.00")
    with pytest.raises(TypeError):
        services.payment_create(idempotency_key="k3", colour="red", **fields)


def test_the_api_serializer_builds_the_request(bank, eur_product, ada, bram):
    a, b = banking.account(ada, eur_product), banking.account(bram, eur_product)
    serializer = PaymentInputSerializer(data={"kind": "internal_transfer", "amount": "7.10", "currency": "EUR",
                                              "debtor_account_id": a.pk, "creditor_iban": b.iban.lower()})
    assert serializer.is_valid(), serializer.errors
    request = serializer.payment_request()
    assert isinstance(request, services.PaymentRequest)
    assert (request.amount, request.creditor_iban, request.channel) == (D("7.10"), b.iban, "api")


def test_an_fx_payment_posts_the_ledger_fx_legs_with_its_fee_netted(bank, eur_product, ada, settings):
    settings.CORE_BANKING_FEE_POLICY = "tests.core_banking.payments.test_request.one_euro"
    usd_product = banking.product(bank, currency="USD", code="CUR-USD")
    eur, usd = banking.account(ada, eur_product), banking.account(ada, usd_product)
    banking.fund(bank, eur, "150.00")
    banking.rate("EUR", "USD", "1.0850", spread="0.005")
    payment, _ = services.payment_create(kind="fx_conversion", amount="100.00", currency="EUR",
                                         debtor_account_id=eur.pk, creditor_account_id=usd.pk,
                                         target_currency="USD", idempotency_key="fx")
    assert payment.status == Payment.Status.POSTED and payment.target_amount == D("107.96")
    legs = ledger.fx_legs(from_account_id=eur.ledger_account_id, to_account_id=usd.ledger_account_id,
                          sell_currency="EUR", buy_currency="USD", sold=D("100.00"), bought=D("107.96"))
    expected = {(leg.account_id, leg.amount) for leg in legs}
    expected = (expected - {(eur.ledger_account_id, D("100.00"))}) | {
        (eur.ledger_account_id, D("101.00")), (bank.fees["EUR"].pk, D("-1.00"))}
    assert set(Posting.objects.filter(entry=payment.entry).values_list("account_id", "amount")) == expected


def one_euro(intent, *, preview=False):
    return [FeeCharge(code="TEST/one", amount=D("1.00"), currency="EUR")]
