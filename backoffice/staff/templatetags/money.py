"""``{% load money %}``: the money filters of ``core_banking.common.templatetags.money``, made
available to templates through this installed app (``core_banking.common`` is not an app)."""

from core_banking.common.templatetags.money import register  # noqa: F401
