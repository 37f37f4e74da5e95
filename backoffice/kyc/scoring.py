"""The KYC risk score: points per factor, summed, banded into a rating that sets the customer's
risk rating and the date of their next periodic review.

=====================  ==============================================================  ======
Factor                 Value                                                           Points
=====================  ==============================================================  ======
Country                customer's main country, or any beneficial owner's nationality
                       or residence, in ``KYC_HIGH_RISK_COUNTRIES``                      40
                       ... in ``KYC_MEDIUM_RISK_COUNTRIES``                              15
                       otherwise                                                          0
Product                loan                                                              10
                       current account                                                    5
                       savings, term deposit, none given                                  0
Occupation/industry    contains a ``KYC_HIGH_RISK_ACTIVITIES`` keyword                   25
                       contains a ``KYC_MEDIUM_RISK_ACTIVITIES`` keyword                 10
                       otherwise                                                          0
Screening              match (customer or any beneficial owner)                          50
                       possible match                                                    25
                       clear                                                              0
Customer type          business (ownership layer)                                         5
=====================  ==============================================================  ======

Bands: score 0–19 **low**, 20–39 **medium**, 40 and above **high**. A high rating needs a second
approval by a compliance officer. The next review is due after ``REVIEW_INTERVAL_YEARS``: low 3
years, medium 2, high 1 (``KYC_REVIEW_INTERVAL_YEARS`` overrides). The settings are read
through ``conf``, which lists them with their defaults.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import conf, screening
from .models import RiskRating

COUNTRY_POINTS = {"high": 40, "medium": 15, "low": 0}
PRODUCT_POINTS = {"loan": 10, "current": 5, "savings": 0, "term_deposit": 0, "": 0}
ACTIVITY_POINTS = {"high": 25, "medium": 10, "low": 0}
SCREENING_POINTS = {screening.MATCH: 50, screening.POSSIBLE_MATCH: 25, screening.CLEAR: 0}
BUSINESS_POINTS = 5
BANDS = ((40, RiskRating.HIGH), (20, RiskRating.MEDIUM), (0, RiskRating.LOW))
REVIEW_INTERVAL_YEARS = {RiskRating.LOW: 3, RiskRating.MEDIUM: 2, RiskRating.HIGH: 1}


@dataclass(frozen=True)
class RiskInput:
    customer_type: str  # "person" or "business"
    countries: tuple[str, ...]  # the customer's, then each beneficial owner's
    product_kind: str = ""
    activity: str = ""  # occupation (person) or industry (business)
    screening_outcome: str = screening.CLEAR


@dataclass(frozen=True)
class RiskScore:
    score: int
    rating: str
    factors: dict[str, int] = field(default_factory=dict)


def country_level(country: str) -> str:
    country = (country or "").upper()
    if country in conf.high_risk_countries():
        return "high"
    if country in conf.medium_risk_countries():
        return "medium"
    return "low"


def activity_level(activity: str) -> str:
    text = (activity or "").lower()
    if any(word in text for word in conf.high_risk_activities()):
        return "high"
    if any(word in text for word in conf.medium_risk_activities()):
        return "medium"
    return "low"


def rating_for(score: int) -> str:
    return next(rating for floor, rating in BANDS if score >= floor)


def score(data: RiskInput) -> RiskScore:
    """The documented table above, applied to ``data``."""
    levels = [country_level(c) for c in data.countries if c] or ["low"]
    country = max(COUNTRY_POINTS[level] for level in levels)
    factors = {
        "country": country,
        "product": PRODUCT_POINTS.get(data.product_kind, 0),
        "activity": ACTIVITY_POINTS[activity_level(data.activity)],
        "screening": SCREENING_POINTS[data.screening_outcome],
        "customer_type": BUSINESS_POINTS if data.customer_type == "business" else 0,
    }
    total = sum(factors.values())
    return RiskScore(score=total, rating=rating_for(total), factors=factors)


def review_interval_years(rating: str) -> int:
    intervals = {**REVIEW_INTERVAL_YEARS, **conf.review_interval_years_overrides()}
    return intervals[rating]


def next_review_date(rating: str, *, from_date: dt.date) -> dt.date:
    years = review_interval_years(rating)
    try:
        return from_date.replace(year=from_date.year + years)
    except ValueError:  # 29 February
        return from_date.replace(year=from_date.year + years, day=28)
