"""The matching: normalisation, token-order tolerant scoring, evidence, blocking."""

import datetime as dt

import pytest

from compliance.screening import matching
from compliance.screening.matching import name_score, normalise, tokens

pytestmark = pytest.mark.django_db
PUTIN = tokens("Vladimir Vladimirovich Putin")


@pytest.mark.parametrize("name, key", [
    ("Влади́мир Пу́тин", "vladimir putin"),
    ("Nicolás MADURO-Moros", "nicolas maduro moros"),
    ("Mr. Roman Abramovich", "roman abramovich"),
    ("OOO \"Internet Research Agency\" LLC", "internet research agency"),
    ("PJSC Sberbank", "sberbank"),
    ("Ltd", "ltd"),  # a name of stop words only keeps them
])
def test_normalise(name, key):
    assert normalise(name) == key


@pytest.mark.parametrize("query", ["Vladimir Putin", "Wladimir Putin", "Влади́мир Пу́тин", "Putin Vladimir",
                                   "PUTIN, Vladimir V.", "Vladimir Putinn", "Vladimir Vladimirovich Putin"])
def test_spelling_variants_score_high(query):
    assert name_score(tokens(query), PUTIN) >= 92


@pytest.mark.parametrize("query", ["Vladimir Putilin", "Vladimir", "Putin", "Vladimir Ivanov", "Vladislav Putov"])
def test_similar_but_different_names_score_low(query):
    assert name_score(tokens(query), PUTIN) < 80


def test_missing_middle_names_cost_a_little():
    assert name_score(tokens("Sergei Lavrov"), tokens("Sergei Viktorovich Lavrov")) == 96
    assert name_score(tokens("Sergey Lavrov"), tokens("Sergei Viktorovich Lavrov")) > 92
    assert 80 <= name_score(tokens("Mohammed Ali"), tokens("Muhammad Ali")) < 92


def test_search_over_the_sample(sample):
    best = matching.search("Wladimir Putin")[0]
    assert (best.entry.external_id, best.score >= 92) == ("sample-putin", True)
    assert matching.search("Putin Vladimir")[0].entry.external_id == "sample-putin"
    assert matching.search("Aliaksandr Lukashenka")[0].entry.external_id == "sample-lukashenko"
    assert matching.search("Kim Jong-un")[0].entry.external_id == "sample-kim-jong-un"
    assert matching.search("Sberbank of Russia PJSC")[0].entry.external_id == "sample-sberbank"
    assert matching.search("Сергей Лавров")[0].entry.external_id == "sample-lavrov"
    assert matching.search("Vladimir Putilin") == []
    assert matching.search("Vladimir") == []
    assert matching.search("Ada Lovelace") == []


def test_date_of_birth_and_country_move_the_score(sample):
    plain = matching.search("Mikhail Fridmann")[0]
    assert plain.entry.external_id == "sample-fridman"
    same = matching.search("Mikhail Fridmann", date_of_birth=dt.date(1964, 4, 21), countries=["RU"])[0]
    assert same.score == min(100, plain.score + 6 + 3)
    other = matching.search("Mikhail Fridmann", date_of_birth=dt.date(1990, 1, 1), countries=["NL"], floor=0)
    assert other[0].score == plain.score - 15 - 5
    assert any("date of birth" in e for e in same.evidence)


def test_the_index_is_cached_by_version_ids(sample):
    first = matching.current_index()
    assert matching.current_index() is first
    assert matching.active_version_ids() == (sample.pk,)
