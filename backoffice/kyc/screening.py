"""The screening seam: sanctions / PEP / adverse-media screening of a person or a business.

``KYC_SCREENING_HOOK`` (declared in ``conf``) is the dotted path of
``screen(subject: ScreeningSubject) -> ScreeningResult``
(the way the payments engine plugs in its fee policy). The default, ``no_screening``, answers
``clear`` for everyone; the compliance module plugs its screening in here. The hook is called
by ``services`` *before* the application row is locked (it may call a provider over the
network): for a person customer once, for a business once for the business and once per
beneficial owner, each screened as a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core_banking.common.seams import seam

from .conf import SCREENING_HOOK

CLEAR = "clear"
POSSIBLE_MATCH = "possible_match"
MATCH = "match"
OUTCOMES = (CLEAR, POSSIBLE_MATCH, MATCH)  # in order of severity


@dataclass(frozen=True)
class ScreeningSubject:
    kind: str  # "person" or "business"
    name: str
    reference: str  # e.g. the customer number, or "C00000012/owner/3"
    date_of_birth: dt.date | None = None
    nationality: str = ""
    country: str = ""


@dataclass(frozen=True)
class ScreeningResult:
    outcome: str  # one of OUTCOMES
    detail: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def no_screening(subject: ScreeningSubject) -> ScreeningResult:
    """The default hook: nothing is screened, everyone is clear."""
    return ScreeningResult(outcome=CLEAR, detail="no screening provider configured")


def screening_hook() -> Callable[[ScreeningSubject], ScreeningResult]:
    """The configured hook (``KYC_SCREENING_HOOK``, a seam declared in ``conf``)."""
    return seam(SCREENING_HOOK)


def screen(subject: ScreeningSubject) -> ScreeningResult:
    result = screening_hook()(subject)
    if result.outcome not in OUTCOMES:
        raise ValueError(f"screening hook answered unknown outcome {result.outcome!r}")
    return result


def worst(outcomes) -> str:
    return max(outcomes, key=OUTCOMES.index, default=CLEAR)
