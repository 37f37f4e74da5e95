import pytest

from tests import banking


@pytest.fixture
def bank(db):
    return banking.setup_bank()


@pytest.fixture
def eur_product(bank):
    return banking.product(bank, code="CUR-EUR", name="Current account EUR")


@pytest.fixture
def ada(db):
    return banking.customer(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def bram(db):
    return banking.customer(first_name="Bram", last_name="de Vries")
