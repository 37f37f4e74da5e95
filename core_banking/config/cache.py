"""Configuration cached per process, reloaded when it changes (tariffs, limits, monitoring rules).

Each configuration *domain* has a generation (``ConfigGeneration``): a trigger on every table of
the domain (``TrackConfig`` in its app's migration) sets it to a new number from a sequence in
the transaction that writes the table. A process keeps what it loaded with the generation it
loaded it at; a reader whose transaction sees another generation loads it again. Generation
numbers are never reused (a sequence does not roll back), so a number names one committed state.

The payment path reads every domain's generation in its first round trip (``GENERATIONS_SQL``)
and passes them to ``generations_seen`` for the rest of the payment; other callers of ``get``
read the one generation they need (one small query instead of the domain's queries). On SQLite
(``make run``, no triggers) nothing is cached.

Consistency: the generation is read in the caller's transaction, and a reader that sees the new
generation loads the configuration after it, so it sees the new rows too (READ COMMITTED: the
load is a later statement). A payment racing with a configuration change uses the one or the
other whole, as if it had run just before or just after the change.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections

T = TypeVar("T")

GENERATIONS_SQL = "SELECT domain, generation FROM config_generation"

_seen: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar("config_generations", default=None)
_cache: dict[tuple[str, str, str], tuple[int, Any]] = {}


@contextlib.contextmanager
def generations_seen(rows: list[tuple[str, int]] | None) -> Iterator[None]:
    """Within the block, ``get`` trusts these generations (rows of ``GENERATIONS_SQL`` read in
    the current transaction) instead of reading them again."""
    token = _seen.set(dict(rows or ()))
    try:
        yield
    finally:
        _seen.reset(token)


def _generation(domain: str) -> int:
    seen = _seen.get()
    if seen is not None:
        return seen.get(domain, 0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT generation FROM config_generation WHERE domain = %s", [domain])
        row = cursor.fetchone()
    return row[0] if row else 0


def get(domain: str, name: str, load: Callable[[], T], *, generation: int | None = None) -> T:
    """``load()``'s result for ``name`` of ``domain``, from the cache while the domain's
    generation is the one it was loaded at. ``generation``: the domain's generation as the caller
    has just read it with a statement of its own (the API token's look-up reads the permissions'),
    instead of reading it here."""
    conn = connections[DEFAULT_DB_ALIAS]  # the real connection: the proxy costs a look-up per use
    if conn.vendor != "postgresql":
        return load()
    if generation is None:
        generation = _generation(domain)
    key = (conn.settings_dict["NAME"], domain, name)
    hit = _cache.get(key)
    if hit is not None and hit[0] == generation:
        return hit[1]
    value = load()
    _cache[key] = (generation, value)
    return value


def peek(domain: str, name: str, load: Callable[[], T]) -> T:
    """What ``get`` would return, without reading the generation: the cached value whatever its
    generation (loaded if there is none). For a pre-check that a later ``get`` in the caller's
    transaction confirms (a payment request's currency, checked again with the payment's reads)."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql":
        return load()
    hit = _cache.get((conn.settings_dict["NAME"], domain, name))
    return hit[1] if hit is not None else get(domain, name, load)


def clear() -> None:
    _cache.clear()
