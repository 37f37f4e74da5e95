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


# --- the fast path: the bound that prunes candidates never drops a result ----------------------

FIRST_NAMES = ["vladimir", "wladimir", "sergei", "sergey", "alexander", "aleksandr", "mohammed", "muhammad", "ali",
               "aly", "li", "wei", "xu", "max", "kim", "jong", "un", "jongun", "maria", "olga", "j", "v", "hussein",
               "hossein", "abdulrahman", "abdelrahman", "konstantinos", "konstantin", "yevgeny", "evgeny"]
SYLLABLES = ["ka", "ro", "vin", "ski", "ov", "ev", "in", "ma", "li", "shen", "ko", "tar", "ba", "x", "mir", "sha",
             "no", "pe", "tro", "vich", "kh", "ph", "y", "w"]


def _edit(rng, word):
    """A random spelling variant: one or two substitutions, insertions, deletions or swaps."""
    for _ in range(rng.choice((1, 1, 2))):
        if len(word) < 2:
            break
        i, c, roll = rng.randrange(len(word)), rng.choice("aeiouykhsvwxz"), rng.random()
        if roll < 0.3:
            word = word[:i] + c + word[i + 1:]
        elif roll < 0.55:
            word = word[:i] + c + word[i:]
        elif roll < 0.8:
            word = word[:i] + word[i + 1:]
        elif i + 1 < len(word):
            word = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word or "a"


def _synthetic_index(rng, size=1500):
    def surname():
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 5)))

    rows, names = [], []
    for i in range(size):
        toks = [rng.choice(FIRST_NAMES) for _ in range(rng.randint(1, 2))] + [surname()]
        keys = [" ".join(toks), " ".join(reversed(toks)), " ".join([toks[0], toks[-1]]), "".join(toks[-2:])]
        keys = keys[:rng.randint(1, 4)]
        dob = f"{rng.randint(1950, 1990)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        rows.append((i, 1, 1, "SYN", "sanctions", f"syn-{i}", "Person", " ".join(toks), [dob],
                     [rng.choice(["ru", "ir"])], [], keys))
        names.append(toks)
    return matching.Index(iter(rows)), names


def _queries(rng, names, n=120):
    out = []
    for _ in range(n):
        toks = list(rng.choice(names))
        roll = rng.random()
        if roll < 0.5:
            toks = [_edit(rng, t) if rng.random() < 0.6 else t for t in toks]
        elif roll < 0.7:
            toks = [rng.choice(FIRST_NAMES), _edit(rng, rng.choice(names)[-1])]
        elif roll < 0.8:
            toks = toks[-1:] if rng.random() < 0.5 else [toks[0], toks[-1][:1]]
        if rng.random() < 0.3:
            toks.reverse()
        out.append(" ".join(toks))
    return out


def _all_keys(index):
    return [(index.key_tokens(k), set().union(*(matching.blocking_keys(t) for t in index.key_tokens(k))),
             index.key_entry[k]) for k in range(len(index))]


def _reference(index, keys, name, floor, date_of_birth=None, countries=()):
    """The documented semantics scored exhaustively: every key sharing blocking keys with query
    tokens that make up half the query's letters, no bound, no candidate limit; ties between the
    names of an entry go to the first listed."""
    query = tokens(name)
    weight = sum(len(q) for q in query)
    blocking = {q: matching.blocking_keys(q) for q in query}
    best = {}
    for toks, held, position in keys:
        if 2 * sum(len(q) for q in query if not blocking[q].isdisjoint(held)) < weight:
            continue
        score = name_score(query, toks)
        if score > best.get(position, (-1.0, ""))[0]:
            best[position] = (score, " ".join(toks))
    out = []
    subject = {c.lower() for c in countries}
    for position, (score, matched) in best.items():
        if score < 70 and score < floor:
            continue
        entry, total = index.entries[position], score
        for points, why in (matching._dob_points(date_of_birth, entry.birth_dates),
                            matching._country_points(subject, entry.countries)):
            total += points if why else 0
        final = int(round(max(0.0, min(100.0, total))))
        if final >= floor:
            out.append((entry.id, final, score, matched))
    return sorted(out)


@pytest.mark.parametrize("floor, evidence", [(80, False), (92, False), (70, False), (80, True)])
def test_the_pruned_search_finds_what_exhaustive_scoring_finds(floor, evidence):
    import random

    rng = random.Random(floor * 2 + evidence)
    index, names = _synthetic_index(rng)
    keys = _all_keys(index)
    checked = 0
    for name in _queries(rng, names):
        options = {"date_of_birth": dt.date(1970, 5, 12), "countries": ["RU"]} if evidence else {}
        got = sorted((c.entry.id, c.score, c.name_score, c.matched_name)
                     for c in index.search(name, floor=floor, limit=10_000, **options))
        assert got == _reference(index, keys, name, floor, **options), name
        checked += len(got)
    assert checked > 50  # the queries do hit


def test_the_bound_on_tokens_it_does_not_score():
    """``_unseen_cap`` bounds ``token_score`` for every pair ``Index._term`` leaves unscored."""
    import random

    rng = random.Random(3)
    letters = "aeiokhsvwxyzn"
    for _ in range(20_000):
        a = "".join(rng.choice(letters) for _ in range(rng.randint(2, 13)))
        b = _edit(rng, _edit(rng, a)) if rng.random() < 0.7 else "".join(rng.choice(letters) for _ in range(13))
        shape = matching.skeleton(a)
        if (matching.blocking_keys(a) & matching.blocking_keys(b) or b == a[0]
                or (len(shape) >= 4 and shape == matching.skeleton(b))):
            continue  # scored
        score = matching.token_score(a, b)
        assert score <= matching._unseen_cap(len(a), len(b), False) + 1e-9, (a, b)
        if len(a) >= 4 and len(b) >= 4 and abs(len(a) - len(b)) <= 2 and matching.Levenshtein.distance(a, b) > 2:
            assert score <= matching._unseen_cap(len(a), len(b), True) + 1e-9, (a, b)


def test_near_finds_every_token_within_two_edits():
    import random

    rng = random.Random(5)
    index, names = _synthetic_index(rng, size=800)
    for _ in range(200):
        q = _edit(rng, _edit(rng, rng.choice(index.words)))
        if len(q) < 4:
            continue
        expected = {i for i, w in enumerate(index.words)
                    if abs(len(w) - len(q)) <= 2 and len(w) >= 4 and matching.Levenshtein.distance(q, w) <= 2}
        found = index._near(q, {-2, -1, 0, 1, 2}) | index._hits(q)  # the hits are scored anyway
        assert expected <= found, (q, [index.words[i] for i in expected - found])


@pytest.mark.parametrize("fillers", [0, 150])  # 150 keys per first name: the searches behind the bound run
@pytest.mark.parametrize("query, floor, expected", [
    ("Konstantinopoulos Kavinskilopa", 92, "konstantinopoulos kavinskiroba"),  # two edits, 9+ letters (85)
    ("Konstantinopoulos Kavinskilba", 92, "konstantinopoulos kavinskiroba"),  # a deletion and a substitution
    ("Konstantinopoulos Kavinskiba", 92, "konstantinopoulos kavinskiroba"),  # two deletions
    ("Konstantinopoulos Kavinskitrofa", 92, "konstantinopoulos kavinskiroba"),  # an insertion and a substitution
    ("Konstantinopoulos Kavinskirtobma", 92, "konstantinopoulos kavinskiroba"),  # two insertions
    ("Vladimir Xax", 92, "vladimir ksiks"),  # same skeleton (ksks) from a three-letter token
    ("Vladimir Ksiks", 92, "vladimir xax"),  # ... and against one
    ("Abdul Rahman Konstantinovich", 80, "abdulrahman konstantinovich"),  # equal without the spaces (98)
])
def test_the_bound_keeps_the_rare_high_pairs(fillers, query, floor, expected):
    import random

    rng = random.Random(fillers)
    names = ["konstantinopoulos kavinskiroba", "vladimir ksiks", "vladimir xax", "abdulrahman konstantinovich"]
    for first in ("konstantinopoulos", "vladimir", "abdulrahman"):
        names += [f"{first} {''.join(rng.choice('dgmtu') for _ in range(rng.randint(5, 12)))}" for _ in range(fillers)]
    rows = [(i, 1, 1, "SYN", "sanctions", f"syn-{i}", "Person", name, [], [], [], [name])
            for i, name in enumerate(names)]
    index = matching.Index(iter(rows))
    got = sorted((c.entry.id, c.score, c.name_score, c.matched_name)
                 for c in index.search(query, floor=floor, limit=10_000))
    assert got == _reference(index, _all_keys(index), query, floor)
    assert expected in [matched for *_, matched in got]
