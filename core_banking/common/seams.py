"""The engine's seams: every point where the back office (or any other deployment) plugs into the
engine, declared once, resolved through one loader. ``docs/architecture.md`` lists them all.

The engine never imports the back office. Where it needs a decision the back office makes, it
names a Django setting whose value is a dotted path (or a list of them, run in order) to an
object with the protocol the seam documents. The path may name a module as well as an object
in one. A plain callable stands for an object whose only method is the seam's main one (a
function as the fee policy is its ``fees_for``); the seam's consumer adapts it.

Resolution: :func:`seam` (one object, or ``None`` when the seam is unset and has no default) and
:func:`seam_all` (a tuple, in the configured order). Each setting is imported once per process
and cached; the cache of a setting is dropped when Django announces that it changed
(``setting_changed``: ``override_settings`` and pytest-django's ``settings``), so tests can swap
a seam. That signal is infrastructure, not a business effect: business effects are calls on the
plugged-in objects (e.g. a payment check's ``give_back``), never signals.

A path that does not import is an ``ImproperlyConfigured`` naming the setting and the path.

Back-office apps declare their own seams with the same :class:`Seam` (``backoffice/kyc/conf.py``
``SCREENING_HOOK``) and resolve them through the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Seam:
    """One plug-in point: the setting that names it, its default, one object or many (a list,
    run in order), and the protocol the plugged-in object must follow."""

    setting: str
    default: str | tuple[str, ...] | None
    many: bool = False
    protocol: str = ""

    def configured(self) -> Any:
        return getattr(settings, self.setting, self.default)


SEAMS: dict[str, Seam] = {seam.setting: seam for seam in (
    Seam(
        "CORE_BANKING_FEE_POLICY",
        default="core_banking.payments.seams.no_fees",
        protocol="""Prices a payment (core_banking/payments/seams.py). An object with
        ``fees_for(intent, *, preview=False) -> list[FeeCharge]`` and optionally
        ``give_back(payment, intent) -> None`` (called when a held payment is rejected or a posted
        one returned, in that transaction), or a plain ``fees_for`` function.""",
    ),
    Seam(
        "CORE_BANKING_PAYMENT_CHECKS",
        default=(),
        many=True,
        protocol="""Refuse a payment or hold it for review (core_banking/payments/seams.py), run in
        order after the fee policy. Each an object with ``check(intent) -> Review | None`` and
        optionally ``give_back(payment, intent) -> None``, or a plain ``check`` function.""",
    ),
    Seam(
        "CORE_BANKING_MAKER_CHECKER",
        default="core_banking.common.maker_checker.DIRECT",
        protocol="""The maker-checker guard (core_banking/common/maker_checker.py): an object with
        ``submit(action: SensitiveAction) -> Deferred | None`` and
        ``may_submit(action_type, user) -> bool``.""",
    ),
    Seam(
        "CORE_BANKING_EOD_STEPS",
        default=(
            "core_banking.interest.eod.ACCRUE", "core_banking.interest.eod.CAPITALISE",
            "core_banking.deposits.eod.ACCRUE", "core_banking.deposits.eod.MATURE",
            "core_banking.loans.eod.ACCRUE", "core_banking.loans.eod.DUE",
            "core_banking.accounts.eod.DORMANCY", "core_banking.ledger.eod.EXPIRE_HOLDS",
        ),
        many=True,
        protocol="""The end-of-day steps in order (core_banking/eod/step.py): each a ``Step`` with a
        ``population(business_date)`` of ids and an idempotent ``run(business_date, first_id,
        last_id)`` over one chunk of them.""",
    ),
    Seam(
        "CORE_BANKING_CLIENT_SCOPE",
        default=None,
        protocol="""Client isolation (core_banking/common/visibility.py): ``(user) -> user | None``,
        ``None`` meaning the caller sees everything. Unset: everyone sees everything.""",
    ),
)}

_cache: dict[str, Any] = {}


def _declared(name: str | Seam) -> Seam:
    if isinstance(name, Seam):
        return name
    try:
        return SEAMS[name]
    except KeyError:
        raise ImproperlyConfigured(f"{name} is not a declared seam (core_banking/common/seams.py)") from None


def load(setting: str, value: Any) -> Any:
    """The object a seam's value names: a dotted path to an object or a module (an object that
    is not a string is taken as it is)."""
    if not isinstance(value, str):
        return value
    try:
        return import_string(value)
    except ImportError as error:
        try:
            return import_module(value)
        except ImportError:
            pass
        raise ImproperlyConfigured(f"{setting}: cannot import {value!r}: {error}") from error


def _resolve(seam: Seam) -> Any:
    value = seam.configured()
    if seam.many:
        if isinstance(value, str):
            raise ImproperlyConfigured(f"{seam.setting} must be a list of dotted paths, not a string")
        return tuple(load(seam.setting, item) for item in value or ())
    return load(seam.setting, value) if value else None


def seam(name: str | Seam) -> Any:
    """The object plugged into the single seam ``name`` (its setting), or ``None``."""
    declared = _declared(name)
    if declared.many:
        raise ImproperlyConfigured(f"{declared.setting} is a list: use seam_all()")
    try:
        return _cache[declared.setting]
    except KeyError:
        resolved = _cache[declared.setting] = _resolve(declared)
        return resolved


def seam_all(name: str | Seam) -> tuple[Any, ...]:
    """The objects plugged into the list seam ``name`` (its setting), in order."""
    declared = _declared(name)
    if not declared.many:
        raise ImproperlyConfigured(f"{declared.setting} names one object: use seam()")
    try:
        return _cache[declared.setting]
    except KeyError:
        resolved = _cache[declared.setting] = _resolve(declared)
        return resolved


def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    _cache.pop(setting, None)


setting_changed.connect(_setting_changed, dispatch_uid="core_banking.common.seams")
