"""Payment writes: create (post or hold for review), release, reject, return; FX quotes and rates.

One payment is one database transaction that writes the payment row, its status history, the
fee policy's and the checks' own rows (usage counters) and exactly one journal entry carrying
the amount and its fees, or, when a check asks for review, a ledger hold for the whole debit.
Any refusal rolls all of it back: nothing is half-written.

This package is the app's public face for writes; its modules:

* ``request``: ``PaymentRequest``, the frozen, checked request, built once by
  ``payment_request`` (or the API's ``PaymentInputSerializer.payment_request()``);
* ``create``: ``payment_preview`` and ``payment_create`` (idempotent through
  ``core_banking.common.idempotency``);
* ``review``: ``payment_release``, ``payment_reject``, ``payment_return``;
* ``fx``: ``fx_rate_set``, ``fx_quote_create``, a conversion's price and ledger legs;
* ``booking``: what creation and review share: the entry's legs and posting, the review hold's
  sides, the status history rows, the audit summary, the ``PaymentIntent`` the seams see.
"""

from .create import Preview, payment_create, payment_preview
from .fx import fx_quote_create, fx_rate_set
from .request import PaymentRequest, payment_request
from .review import payment_reject, payment_release, payment_return

__all__ = [
    "PaymentRequest",
    "Preview",
    "fx_quote_create",
    "fx_rate_set",
    "payment_create",
    "payment_preview",
    "payment_reject",
    "payment_release",
    "payment_request",
    "payment_return",
]
