"""``{% load ledger_money %}``: the money filters of ``core_banking.common.templatetags.money`` for
the ledger's own admin pages (the trial balance), registered by the ledger app so that the engine's
admin renders them without the back office (whose ``backoffice.staff`` registers the same filters as
``{% load money %}`` for its pages; ``core_banking.common`` is not an app)."""

from core_banking.common.templatetags.money import register  # noqa: F401
