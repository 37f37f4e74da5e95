import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def bank(db):
    """The bank of ``tests/banking.py``: cash, fee income and FX accounts in every test currency.
    A package that needs another shape (the ledger's own tests) overrides it in its conftest."""
    from tests import banking

    return banking.setup_bank()


@pytest.fixture
def eur_product(bank):
    """A plain EUR current account product (``CUR-EUR``)."""
    from tests import banking

    return banking.product(bank, code="CUR-EUR", name="Current account EUR")


@pytest.fixture
def ada(db):
    """A retail customer whose KYC is approved."""
    from tests import banking

    return banking.customer(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def bram(db):
    """A second retail customer whose KYC is approved."""
    from tests import banking

    return banking.customer(first_name="Bram", last_name="de Vries")


@pytest.fixture(scope="session", autouse=True)
def _append_only_tables_let_the_test_flush_through():
    """Append-only tables (the audit trail, the ledger) refuse TRUNCATE with a pgtrigger
    trigger, but Django empties the database after each transactional test with one TRUNCATE
    of every table. Let exactly that statement through, with pgtrigger's documented break-glass
    (`pgtrigger.ignore`, scoped to the flush)."""
    import pgtrigger
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with pgtrigger.ignore(databases=[self.connection.alias]):
            return original(self, sql_list)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "execute_sql_flush", execute_sql_flush)
        yield


@pytest.fixture(autouse=True)
def _ledger_reference_data(request):
    """Transactional tests empty every table afterwards, including the reference data loaded by
    migrations (currencies, hash-chain heads); put it back for each test that uses the database."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    transactional = transactional or "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from core_banking.ledger.reference import ensure_reference_data

    ensure_reference_data()


@pytest.fixture
def maker_checker_direct(settings):
    """The engine on its own: the maker-checker gate executes every sensitive action at once.
    For tests of the engine's mechanics (reversals, closing, freezing); the back office's gate
    has its own tests (tests/backoffice/approvals)."""
    settings.CORE_BANKING_MAKER_CHECKER = "core_banking.common.maker_checker.DIRECT"
