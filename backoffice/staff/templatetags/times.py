"""``{% load times %}``: the ``when`` filter of ``core_banking.common.templatetags.times``, made
available to templates through this installed app (``core_banking.common`` is not an app)."""

from core_banking.common.templatetags.times import register  # noqa: F401
