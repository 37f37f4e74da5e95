"""``runtime``: the loaded application is left out of the garbage collector's later walks."""

import gc

import pytest

from core_banking.common.runtime import freeze_loaded_objects, load_and_freeze


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_objects_alive_are_frozen_and_garbage_is_still_collected(unfrozen):
    class Node:
        pass

    kept = Node()
    frozen = freeze_loaded_objects()
    assert frozen == gc.get_freeze_count() > 10_000  # the loaded application, not a handful
    assert not any(obj is kept for obj in gc.get_objects())  # out of the collector's walks
    cycle = Node()
    cycle.self = cycle  # garbage made later: a reference cycle only the collector can free
    del cycle
    assert gc.collect() > 0


def test_load_and_freeze_loads_the_urlconf_first(unfrozen):
    from django.urls import get_resolver

    assert load_and_freeze() == gc.get_freeze_count()
    assert get_resolver().url_patterns  # already loaded, among the frozen objects
