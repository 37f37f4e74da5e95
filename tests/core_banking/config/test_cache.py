"""Configuration cached per process (``core_banking.config.cache``): a generation per domain,
set by triggers in the writing transaction, never reused; a cached value is served while the
generation it was loaded at is the one the reader's transaction sees."""

import pytest
from django.db import connection, transaction

from core_banking.config import cache
from core_banking.ledger.models import Currency
from core_banking.ledger.selectors import currencies

pytestmark = pytest.mark.django_db


def generation(domain):
    with connection.cursor() as cursor:
        cursor.execute("SELECT generation FROM config_generation WHERE domain = %s", [domain])
        row = cursor.fetchone()
    return row[0] if row else 0


def test_a_write_to_a_tracked_table_gives_its_domain_a_new_generation_that_a_rollback_never_gives_back():
    before = generation("currencies")
    with connection.cursor() as cursor:  # around the ORM: the trigger, not the service, bumps it
        cursor.execute("UPDATE ledger_currency SET name = name WHERE code = 'EUR'")
    first = generation("currencies")
    assert first != before
    with pytest.raises(RuntimeError), transaction.atomic():
        Currency.objects.filter(code="EUR").update(name="Euro (rolled back)")
        rolled_back = generation("currencies")
        raise RuntimeError
    assert generation("currencies") == first
    Currency.objects.filter(code="EUR").update(name="Euro")
    assert generation("currencies") not in (before, first, rolled_back)
    assert generation("tariffs") == 0  # other domains untouched


def test_a_cached_value_is_reused_until_its_domain_changes():
    cache.clear()
    eur = currencies()["EUR"]
    assert currencies()["EUR"] is eur  # served from the cache
    Currency.objects.filter(code="EUR").update(name="Euro, renamed")
    assert currencies()["EUR"] is not eur
    assert currencies()["EUR"].name == "Euro, renamed"


def test_within_generations_seen_the_cache_trusts_the_generations_read_with_the_callers_reads():
    cache.clear()
    loads = []

    def load():
        loads.append(1)
        return len(loads)

    with connection.cursor() as cursor:
        cursor.execute(cache.GENERATIONS_SQL)
        rows = cursor.fetchall()
    with cache.generations_seen(rows):
        assert cache.get("tariffs", "probe", load) == 1
        assert cache.get("tariffs", "probe", load) == 1
    with cache.generations_seen([("tariffs", 10**12)]):  # another generation: loaded again
        assert cache.get("tariffs", "probe", load) == 2
