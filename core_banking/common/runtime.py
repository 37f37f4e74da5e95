"""Process start-up: what a long-running process (the web server's workers, Celery's) does once
the application is loaded.

``freeze_loaded_objects``: Python's cyclic garbage collector walks every container object it
tracks each time its oldest generation is collected, and a loaded Django application is some
150,000 of them (modules, classes, the URLconf, settings, model metadata) that live as long as the
process. The payment path allocates enough objects to set off such a walk every few payments,
which cost about a tenth of a payment's Python time (``python -m bench --only y``). Frozen
(``gc.freeze``), those objects are left out of every later collection; they were never garbage.
Garbage made later is still collected as before.
"""

from __future__ import annotations

import gc


def freeze_loaded_objects() -> int:
    """Collect what is garbage now, then leave every object still alive out of later collections
    (``gc.freeze``). Call once the application is loaded and warmed up; returns how many objects
    were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def load_and_freeze() -> int:
    """Load what a web worker would otherwise load on its first request (the URLconf, and through
    it every view, serializer and admin module), then ``freeze_loaded_objects``."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports the URLconf and the modules it names)
    return freeze_loaded_objects()
