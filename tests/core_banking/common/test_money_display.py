"""The one money display (core_banking/common/money_display.py) and its template filters."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from core_banking.common import money_display as md

D = Decimal


@pytest.mark.parametrize(("amount", "currency", "shown"), [
    (D("1217.570000000000000000"), "EUR", "1,217.57 EUR"),
    (D("0E-18"), "EUR", "0.00 EUR"),
    (D("-5115058.505"), "EUR", "-5,115,058.50 EUR"),  # half to even
    (D("5115058.515"), "EUR", "5,115,058.52 EUR"),
    (D("1234.5"), "JPY", "1,234 JPY"),  # half to even: 1234.5 -> 1234
    (D("1.2345"), "BHD", "1.234 BHD"),
    (None, "EUR", "—"),
])
def test_an_amount_is_rounded_to_its_currency_grouped_and_coded(amount, currency, shown):
    assert md.format_money(amount, currency) == shown


def test_a_currency_row_gives_its_own_exponent():
    class Asset:
        code, exponent = "BTC", 8

    assert md.format_money(D("0.005340000000000000"), Asset()) == "0.00534000 BTC"


def test_a_float_is_refused():
    with pytest.raises(TypeError):
        md.format_money(1.5, "EUR")


def test_fractions_show_as_percentages_and_rates_as_published():
    assert md.format_percent(D("0.00250000")) == "0.25%"
    assert md.format_percent(D("0.5")) == "50%"
    assert md.format_rate(D("1.085000000000"), "EUR", "USD") == "1 EUR = 1.085 USD"
    assert md.format_rate(D("0.852000000000")) == "0.852"
    assert md.format_number(D("0E-18")) == "0"


@pytest.mark.backoffice
def test_the_template_filters():
    template = Template('{% load money %}{{ a|money:"EUR" }} | {{ a|amount:"EUR" }} | {{ p|percent }} | '
                        '{{ r|fx_rate }}')

    shown = template.render(Context({"a": D("9465.2200"), "p": D("0.0125"), "r": D("1.0845000")}))

    assert shown == "9,465.22 EUR | 9,465.22 | 1.25% | 1.0845"
