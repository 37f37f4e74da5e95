"""Name matching: normalisation, the in-memory index of the active list versions, scoring.

Normalisation (``normalise``): anyascii transliteration (Cyrillic, Greek, Arabic, ... to Latin;
diacritics go), casefold, punctuation to spaces, honorifics and legal-form words dropped ("mr",
"dr", "ltd", "llc", "ooo", "pjsc", ...). The result is a space-separated token string: the
matching key stored on ``ListEntry.names`` (one per name and alias).

Scoring (``name_score``), 0-100, token order tolerant: each query token is aligned with its best
entry token (greedy, no token used twice). A token pair scores 100 when equal, 96 when equal after
folding transliteration variants (w/v, y/i, kh/h, ks/x, ph/f, doubled letters: "Wladimir" /
"Vladimir", "Sergey" / "Sergei"), 90 at one edit on tokens of five letters or more (Levenshtein,
rapidfuzz), 85 at two edits on tokens of nine or more, 85 when the consonant skeletons (four consonants
or more) are equal and the folded tokens still 60 % alike ("Mohammed" / "Muhammad",
"Aliaksandr" / "Alexander"), 70 for an initial; otherwise the
rapidfuzz similarity squashed so that "Putilin" / "Putin" (71 %) is a poor pair (43). The name
score is the length-weighted mean over the query's tokens, less 4 points per entry token left
unmatched (a missing middle name or patronymic, at most 12), and at most 60 when a single query
token meets a multi-token entry (a first name alone). Pure ``token_sort_ratio`` /
``token_set_ratio`` / ``WRatio`` were measured and rejected as the final score: all three give
"Vladimir Putilin" against "Vladimir Putin" 93 or more (a match).

Evidence (``Index.search``) moves the name score when the name already scores 70 or more:
date of birth (same full date +6, same year +3, a year apart -5, further apart -15) and country
(the subject's country or nationality among the entry's +3, none of them -5).

Blocking: the index keeps the vocabulary of the keys' tokens, the keys holding each token, and maps
every token's folded form, its consonant skeleton and its one-deletion neighbourhood with the token
itself (the symmetric-delete trick: every pair within one edit shares a key) to the tokens holding
it. A key is a candidate when it shares blocking keys with query tokens that make up at least half
the query's letters.

Pruning (the results are exactly those of scoring every candidate): a candidate is scored only when
an upper bound of its name score reaches the least score that can still end at the floor (the
lower of 70 and the floor, or the floor less the most the evidence can add and half a point of
rounding, whichever is higher). Per query token, the
tokens that can score high are scored (``token_score`` is memoised): its blocking hits, its initial,
the tokens of the same skeleton. Every other token is bounded by the lengths alone
(``_unseen_cap``): sharing no blocking key, it is two edits away or more (one when both have three
letters or fewer), so it scores at most the squashed ``1 - 2 / longest`` (85 when both have nine
letters or more). A key's bound is the
length-weighted mean of, per query token, the best scored token it holds or that cap; the keys
that can reach the threshold are those holding the query tokens of one of the minimal sets that
can (set intersections over the keys of each token), so the thousands of keys sharing only a
common first name are never visited when the rest of the query cannot make up the difference. When
the bound still lets more than ``REFINE_AT`` keys through, the query tokens it hinges on are
searched further: the tokens within two edits (``Index._near``: from the deletion keys, for
insertions, substitutions and double deletions, and a same-length index of token thirds for two
substitutions), after which the rest is three edits away, and, over lengths holding few tokens,
those whose rapidfuzz similarity reaches the level needed. Candidates are scored in key order, so a
tie between the names of an entry goes to the first listed (it used to depend on set order).
``MAX_CANDIDATES`` (the best-explained) is a safety net, reached only without a bound (a floor of
0, more than ``MAX_TERMS`` distinct query tokens) or when that many keys can really reach it.

The index is built once per process for the set of active list versions (its cache key is their
ids) and rebuilt when that set changes (one cheap query per screening); the cyclic garbage collector
is paused while it is built. Measured (``python -m bench.screening --sizes 10000,100000 --queries
500``, figures in docs/compliance-screening.md): 3,200 and 1,800 names/s at 10,000 and 100,000
entries, p99 2 ms (130 and 80 names/s, p99 30-45 ms, before the token index and the bound); the
index builds in 0.4 / 3.6 s and holds 17 / 155 MB (1.2 / 12.8 s, 30 / 258 MB before).
"""

from __future__ import annotations

import datetime as dt
import gc
import re
import threading
import time
from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from anyascii import anyascii
from django.conf import settings
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

DEFAULT_MATCH, DEFAULT_POSSIBLE = 92, 80
MAX_CANDIDATES = 500  # safety net: keys scored per query at most (the best-explained ones)
MAX_TERMS = 8  # distinct query tokens beyond which the score bound is not used (blocking alone)
REFINE_AT = 64  # keys the bound lets through above which the rare-pair searches are run
SEARCH_AT_MOST = 4000  # vocabulary tokens a near-token search may scan (rapidfuzz) for one query token
_EPS = 1e-6

HONORIFICS = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lord", "lady", "hon", "rev", "sheikh",
              "shaikh", "haji", "hajji", "gen", "general", "col", "colonel", "maj", "capt", "president", "minister",
              "his", "her", "excellency", "h", "e", "jr", "sr", "esq", "md", "phd"}
LEGAL_FORMS = {"ltd", "limited", "llc", "llp", "lp", "plc", "inc", "incorporated", "corp", "corporation", "co",
               "company", "gmbh", "ag", "kg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "ab", "as",
               "ooo", "oao", "zao", "pao", "ao", "tov", "pat", "jsc", "ojsc", "cjsc", "pjsc", "fzco",
               "fze", "fzc", "sdn", "bhd", "pte", "pty", "kk", "the", "and", "of"}
STOP_WORDS = HONORIFICS | LEGAL_FORMS
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_FOLDS = (("sch", "sh"), ("tch", "ch"), ("dzh", "j"), ("zh", "j"), ("kh", "h"), ("ph", "f"), ("th", "t"),
          ("ck", "k"), ("x", "ks"), ("w", "v"), ("q", "k"), ("y", "i"), ("ou", "u"), ("ee", "i"), ("oo", "u"),
          ("ie", "i"), ("ei", "i"))
_DOUBLE = re.compile(r"(.)\1+")
_VOWELS = re.compile(r"[aeiou]")


def thresholds() -> tuple[int, int]:
    """(match, possible match), from COMPLIANCE_SCREENING_MATCH / COMPLIANCE_SCREENING_POSSIBLE."""
    return (int(getattr(settings, "COMPLIANCE_SCREENING_MATCH", DEFAULT_MATCH)),
            int(getattr(settings, "COMPLIANCE_SCREENING_POSSIBLE", DEFAULT_POSSIBLE)))


def tokens(name: str) -> list[str]:
    text = _NON_ALNUM.sub(" ", anyascii(name or "").casefold().replace("'", ""))
    words = text.split()
    kept = [w for w in words if w not in STOP_WORDS]
    return kept or words  # a name made only of stop words keeps them


def normalise(name: str) -> str:
    return " ".join(tokens(name))


@lru_cache(maxsize=1 << 16)
def fold(token: str) -> str:
    for a, b in _FOLDS:
        token = token.replace(a, b)
    return _DOUBLE.sub(r"\1", token)


@lru_cache(maxsize=1 << 16)
def skeleton(token: str) -> str:
    folded = fold(token)
    return folded[:1] + _VOWELS.sub("", folded[1:])


def deletions(token: str) -> set[str]:
    return {token[:i] + token[i + 1:] for i in range(len(token))} if len(token) >= 4 else set()


@lru_cache(maxsize=1 << 17)
def token_score(a: str, b: str) -> float:
    """0-100: query token ``a`` against entry token ``b`` (see the module doc). Memoised: a pure
    function of the two strings, and entry tokens repeat massively across keys (first names)."""
    if a == b:
        return 100.0
    if len(a) == 1 or len(b) == 1:
        return 70.0 if a[0] == b[0] else 0.0
    if fold(a) == fold(b):
        return 96.0
    distance = Levenshtein.distance(a, b, score_cutoff=2)
    shorter = min(len(a), len(b))
    if distance == 1 and shorter >= 5:
        return 90.0
    if distance == 2 and shorter >= 9:
        return 85.0
    similarity = Levenshtein.normalized_similarity(a, b) * 100
    shape = skeleton(a)
    if len(shape) >= 4 and shape == skeleton(b) and Levenshtein.normalized_similarity(fold(a), fold(b)) >= 0.6:
        return 85.0
    return max(0.0, min(70.0, (similarity - 50) * 2))


def name_score(query: list[str], entry: list[str]) -> float:
    """0-100: how well the query tokens are explained by the entry tokens (see the module doc)."""
    if not query or not entry:
        return 0.0
    pairs = sorted(((token_score(q, e), -len(q), i, j) for i, q in enumerate(query) for j, e in enumerate(entry)),
                   reverse=True)
    used_q: set[int] = set()
    used_e: set[int] = set()
    best = [0.0] * len(query)
    for score, _, i, j in pairs:
        if score <= 0 or i in used_q or j in used_e:
            continue
        used_q.add(i)
        used_e.add(j)
        best[i] = score
    weight = sum(len(q) for q in query)
    base = sum(best[i] * len(q) for i, q in enumerate(query)) / weight
    if "".join(query) == "".join(entry):  # "Kim Jong Un" / "Kim Jongun"
        base = max(base, 98.0)
        used_e = set(range(len(entry)))
    base -= min(12, 4 * (len(entry) - len(used_e)))
    if len(query) == 1 and len(entry) > 1:
        base = min(base, 60.0)
    return max(0.0, base)


# --- evidence ------------------------------------------------------------------------------


def _dob_points(dob: dt.date | None, birth_dates: list[str]) -> tuple[int, str]:
    if dob is None or not birth_dates:
        return 0, ""
    best = None
    for text in birth_dates:
        try:
            year = int(text[:4])
        except ValueError:
            continue
        if text[:10] == dob.isoformat():
            return 6, f"date of birth {text} is the subject's"
        gap = abs(year - dob.year)
        points = 3 if gap == 0 else -5 if gap == 1 else -15
        if best is None or points > best[0]:
            best = (points, f"date of birth {text} vs the subject's {dob.isoformat()}")
    return best or (0, "")


def _country_points(countries: set[str], entry_countries: list[str]) -> tuple[int, str]:
    if not countries or not entry_countries:
        return 0, ""
    shared = countries & set(entry_countries)
    if shared:
        return 3, f"country {', '.join(sorted(shared))} in common"
    return -5, f"no country in common ({', '.join(sorted(countries))} vs {', '.join(entry_countries)})"


# --- the index -----------------------------------------------------------------------------


@dataclass(slots=True)
class Entry:
    id: int
    version_id: int
    list_id: int
    list_code: str
    list_kind: str
    external_id: str
    schema: str
    name: str
    birth_dates: list[str]
    countries: list[str]
    programs: list[str]


@dataclass
class Candidate:
    entry: Entry
    score: int
    name_score: float
    matched_name: str
    evidence: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        e = self.entry
        return {"entry_id": e.id, "list_id": e.list_id, "list": e.list_code, "list_kind": e.list_kind,
                "version": e.version_id,
                "external_id": e.external_id, "name": e.name, "schema": e.schema, "score": self.score,
                "name_score": round(self.name_score, 1), "matched_name": self.matched_name,
                "birth_dates": e.birth_dates, "countries": e.countries, "programs": e.programs,
                "evidence": self.evidence}


def blocking_keys(token: str) -> set[str]:
    """The blocking keys of a token: folded, consonant skeleton (four letters or more), the token
    itself and its one-deletion neighbourhood (the symmetric-delete trick: every pair within one edit
    shares one; "-" + token is also the exact key)."""
    keys = {"~" + fold(token), "-" + token}
    if len(token) >= 4:
        keys.add("#" + skeleton(token))
    keys.update("-" + d for d in deletions(token))
    return keys


_query_blocking = lru_cache(maxsize=1 << 12)(lambda token: tuple(blocking_keys(token)))


def _squash(similarity: float) -> float:
    return max(0.0, min(70.0, (similarity * 100 - 50) * 2))


@cache
def _unseen_cap(query_length: int, length: int, near_searched: bool) -> float:
    """The most ``token_score`` gives a query token of ``query_length`` letters (two or more) against
    an entry token of ``length`` letters that ``Index._term`` did not score: it shares no blocking key
    with it (so it is neither equal nor fold-equal, nor one edit away unless the longer of the two
    has three letters or fewer), is not its initial nor of the same skeleton and, once the tokens
    within two edits of that length were searched (``near_searched``), is three edits away or more.
    What is left is the squashed similarity, at most ``1 - edits / longest`` with ``edits`` at least
    the length difference, or 85 for two edits when both have nine letters or more."""
    if length == 1:
        return 0.0  # a one-letter entry token scores 70 only as the query token's initial
    longest, shortest = max(query_length, length), min(query_length, length)
    edits = max(abs(query_length - length), 3 if near_searched else 1 if longest <= 3 else 2)
    if edits == 2 and shortest >= 9:
        return 85.0
    return _squash(1 - edits / longest)


@cache
def _thirds(length: int) -> tuple[tuple[int, int], ...]:
    """(start, size) of the three parts of a token of ``length`` letters: a token of the same length
    two substitutions away holds one of them unchanged (pigeonhole)."""
    size, extra = divmod(length, 3)
    sizes = [size + (1 if i >= 3 - extra else 0) for i in range(3)]
    return ((0, sizes[0]), (sizes[0], sizes[1]), (sizes[0] + sizes[1], sizes[2]))


def third_keys(token: str) -> list[str]:
    """Keys of the same-length, two-substitution search: length, part number and part (4+ letters)."""
    if len(token) < 4:
        return []
    return [f"|{len(token)}.{n}.{token[start:start + size]}" for n, (start, size) in enumerate(_thirds(len(token)))]


class _Term:
    """One distinct query token against the vocabulary: ``scores`` holds every vocabulary token
    (by id) scoring more than ``rest`` against it; every other token scores ``rest`` at most."""

    __slots__ = ("text", "weight", "hits", "scores", "rest", "top", "estimate", "keys")

    def __init__(self, text: str, weight: int, hits: set[int]) -> None:
        self.text, self.weight, self.hits = text, weight, hits
        self.scores: dict[int, float] = {}
        self.rest = self.top = 100.0
        self.estimate = 0
        self.keys: set[int] | None = None


def _patterns(terms: list[_Term], need: float) -> list[list[_Term]] | None:
    """The minimal sets of terms a key must hold (a token scoring above ``rest``) for its bound
    ``sum(weight * (top if held else rest))`` to reach ``need``; None when no term is needed."""
    floor_ = sum(t.weight * t.rest for t in terms)
    if floor_ >= need:
        return None
    gains = [t.weight * (t.top - t.rest) for t in terms]
    masks: list[int] = []
    for mask in sorted(range(1, 1 << len(terms)), key=int.bit_count):
        if any(m & mask == m for m in masks):
            continue
        if floor_ + sum(g for i, g in enumerate(gains) if mask >> i & 1) >= need:
            masks.append(mask)
    return [[t for i, t in enumerate(terms) if m >> i & 1] for m in masks]


class Index:
    """Keys (normalised names) of the entries of some list versions, with their blocking keys.

    Token level: the vocabulary (``words``, ids in ``vocabulary``), the keys holding each token
    (``postings``), the tokens behind each blocking key (``blocks``), the tokens by length
    (``by_length``)."""

    def __init__(self, rows) -> None:
        started = time.perf_counter()
        # Hundreds of thousands of small containers: with the cyclic collector on, the collections
        # the build triggers would rescan them over and over. Off during the build; then the new
        # objects go straight to the oldest generation (freeze + unfreeze moves them there without
        # a scan), so that the first searches do not pay for scanning them either. Skipped when
        # something froze objects on purpose (a pre-fork server): unfreeze would thaw those too.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._build(rows)
        finally:
            if collecting:
                if not gc.get_freeze_count():
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()
        self.build_seconds = time.perf_counter() - started

    def _build(self, rows) -> None:
        self.entries: list[Entry] = []
        self.key_ids: list[tuple[int, ...]] = []  # per key: its token ids, in order
        self.key_entry = array("l")  # per key: the position of its entry
        self.vocabulary: dict[str, int] = {}
        self.words: list[str] = []
        self.postings: list[Any] = []  # token id -> key positions, ascending (a tuple once built)
        # blocking key -> token id (one) or ids (a list); "-" + token stands for the token itself;
        # also the keys of the two-substitution search ("|" + length, part number, part)
        self.blocks: dict[str, Any] = {}
        self.joined: dict[int, Any] = {}  # hash of the key without spaces -> key position(s)
        vocabulary, words, postings, blocks, joined = (self.vocabulary, self.words, self.postings, self.blocks,
                                                      self.joined)
        key_ids, key_entry = self.key_ids, self.key_entry
        for row in rows:
            position = len(self.entries)
            self.entries.append(Entry(*row[:-1]))
            for key in dict.fromkeys(row[-1]):
                toks = key.split()
                if not toks:
                    continue
                k = len(key_ids)
                ids = []
                for t in toks:
                    i = vocabulary.get(t)
                    if i is None:
                        i = vocabulary[t] = len(words)
                        words.append(t)
                        postings.append([])
                        for b in (*blocking_keys(t), *third_keys(t)):
                            held = blocks.get(b)
                            if held is None:
                                blocks[b] = i
                            elif held.__class__ is int:
                                blocks[b] = [held, i]
                            else:
                                held.append(i)
                    ids.append(i)
                ids = tuple(ids)
                key_ids.append(ids)
                key_entry.append(position)
                for i in dict.fromkeys(ids):
                    postings[i].append(k)
                flat = hash("".join(toks))
                held = joined.get(flat)
                joined[flat] = k if held is None else (held if isinstance(held, tuple) else (held,)) + (k,)
        for i, keys in enumerate(postings):
            postings[i] = tuple(keys)
        for b, held in blocks.items():
            if held.__class__ is list:
                blocks[b] = tuple(held)
        self.by_length: dict[int, tuple[list[str], list[int]]] = {}
        odd: dict[str, list[int]] = defaultdict(list)  # skeleton (4+) of a token of 3 letters or fewer
        for i, t in enumerate(words):
            bucket = self.by_length.setdefault(len(t), ([], []))
            bucket[0].append(t)
            bucket[1].append(i)
            if len(t) < 4 and len(skeleton(t)) >= 4:
                odd[skeleton(t)].append(i)
        self.odd = {key: tuple(ids) for key, ids in odd.items()}
        self.lengths = tuple(sorted(n for n in self.by_length if n > 1))
        self.alphabet = "".join(sorted(set("".join(words))))

    def __len__(self) -> int:
        """The number of keys."""
        return len(self.key_ids)

    def key_tokens(self, k: int) -> list[str]:
        words = self.words
        return [words[i] for i in self.key_ids[k]]

    def _block(self, key: str):
        held = self.blocks.get(key, ())
        return (held,) if held.__class__ is int else held

    # --- per query token -----------------------------------------------------------------------

    def _hits(self, token: str) -> set[int]:
        """Vocabulary tokens sharing a blocking key with ``token``."""
        hits: set[int] = set()
        blocks = self.blocks
        for b in _query_blocking(token):
            ids = blocks.get(b)
            if ids is not None:
                if ids.__class__ is int:
                    hits.add(ids)
                else:
                    hits.update(ids)
        return hits

    def _near(self, token: str, shifts: set[int]) -> set[int]:
        """The vocabulary tokens within two edits of ``token`` (four letters or more) whose length
        differs from its by one of ``shifts`` (-2 to 2), from the blocking keys: a token two letters
        longer has a deletion equal to an insertion into ``token``; one letter longer (an insertion
        and a substitution), a deletion equal to a substitution in it; of the same length (two
        substitutions), one of its thirds unchanged (``third_keys``); one letter shorter (a deletion
        and a substitution, five letters or more), a deletion equal to a double deletion of it; two
        letters shorter, it is a double deletion."""
        variants: set[str] = set()  # blocking keys
        n, letters = len(token), self.alphabet
        for i in range(n + 1):
            head, tail = "-" + token[:i], token[i:]
            if 2 in shifts:  # an insertion
                variants.update([head + c + tail for c in letters])
            if 1 in shifts and i < n:  # a substitution
                variants.update([head + c + tail[1:] for c in letters])
        if -1 in shifts or -2 in shifts:
            for d in deletions(token):
                variants.update(["-" + d[:i] + d[i + 1:] for i in range(n - 1)])
        found: set[int] = set()
        blocks = self.blocks
        for key in (*(blocks.keys() & variants),
                    *(third_keys(token) if 0 in shifts else ())):
            ids = blocks.get(key, ())
            found.update((ids,) if ids.__class__ is int else ids)
        words = self.words
        return {i for i in found if Levenshtein.distance(token, words[i], score_cutoff=2) <= 2}

    def _term(self, term: _Term, level: float | None = None) -> _Term:
        """Score ``term`` against the tokens that can score high: its blocking hits, its initial and
        the tokens of the same skeleton; with ``level``, also those that might reach ``level``: the
        tokens within two edits (``_near``) and, for what remains, those whose similarity reaches it
        (a rapidfuzz scan, when the lengths concerned hold few tokens). Sets ``scores`` (the tokens
        scoring above ``rest``), ``rest`` (the most any other token scores), ``top``, ``estimate``."""
        q, n = term.text, len(term.text)
        tokens_ = set(term.hits)
        if n > 1 and q[0] in self.vocabulary:
            tokens_.add(self.vocabulary[q[0]])
        shape = skeleton(q)
        if len(shape) >= 4:
            tokens_.update(self._block("#" + shape))
            tokens_.update(self.odd.get(shape, ()))
        if n == 1:
            rest = 70.0  # every token with that initial scores 70
        else:
            caps = {length: _unseen_cap(n, length, False) for length in self.lengths}
            if level is not None:
                wanted = [length for length, cap in caps.items() if cap >= level]
                near = {length for length in wanted if n >= 4 and abs(length - n) <= 2 and length >= 4}
                if near:
                    tokens_.update(self._near(q, {length - n for length in near}))
                    caps.update((length, _unseen_cap(n, length, True)) for length in near)
                wanted = [length for length, cap in caps.items() if cap >= level]
                if wanted and 0 < level <= 70 and sum(len(self.by_length[x][1]) for x in wanted) <= SEARCH_AT_MOST:
                    cutoff = 0.5 + level / 200 - _EPS
                    for length in wanted:
                        texts, ids = self.by_length[length]
                        for _, _, j in process.extract(q, texts, scorer=Levenshtein.normalized_similarity,
                                                       score_cutoff=cutoff, limit=None):
                            tokens_.add(ids[j])
                        caps[length] = level
            rest = max(caps.values(), default=0.0)
        words, postings = self.words, self.postings
        scores = {}
        for i in tokens_:
            s = token_score(q, words[i])
            if s > rest:
                scores[i] = s
        term.scores, term.rest = scores, rest
        term.top = max(rest, max(scores.values(), default=0.0))
        term.estimate = sum(len(postings[i]) for i in scores)
        term.keys = None
        return term

    def _keys_of(self, term: _Term) -> set[int]:
        if term.keys is None:
            term.keys = set().union(*(self.postings[i] for i in term.scores))
        return term.keys

    # --- candidates ----------------------------------------------------------------------------

    def candidates(self, query: list[str], lower: float = DEFAULT_POSSIBLE,
                   limit: int = MAX_CANDIDATES) -> list[int]:
        """Key positions worth scoring for a query whose results need a name score of ``lower``:
        those sharing a blocking key with query tokens that make up at least half the query's
        letters (the blocking) whose score bound reaches ``lower`` (see the module doc), in key
        order; the best-explained ``limit`` of them if more (a safety net)."""
        weight = sum(len(q) for q in query)
        terms = [_Term(q, len(q) * query.count(q), self._hits(q)) for q in dict.fromkeys(query)]
        need = lower * weight - _EPS
        patterns = None
        if lower > 0 and len(terms) <= MAX_TERMS:
            for term in terms:
                self._term(term)
            patterns = _patterns(terms, need)
            if patterns is None or sum(min(t.estimate for t in p) for p in patterns) > REFINE_AT:
                # Rare pairs decide: search the two-edit and near tokens for the terms whose own
                # score must rise above what the others cannot make up for.
                for term in terms:
                    others = sum(t.weight * t.top for t in terms if t is not term)
                    level = (need - others) / term.weight - 0.01
                    if 0 < level < term.rest:
                        self._term(term, level)
                patterns = _patterns(terms, need)
        if patterns is None:
            return self._blocked(query, terms, weight, limit)
        found: set[int] = set()
        key_ids = self.key_ids
        for pattern in patterns:
            pattern = sorted(pattern, key=lambda t: t.estimate)
            keys = self._keys_of(pattern[0])
            for term in pattern[1:]:
                if not keys:
                    break
                if term.estimate <= 8 * len(keys):
                    keys = keys & self._keys_of(term)
                else:
                    held = term.scores
                    keys = {k for k in keys if any(i in held for i in key_ids[k])}
            found |= keys
        found.update(self._joined(query))
        one = len(query) == 1 and lower > 60  # a one-token query scores 60 at most on a longer key
        kept = []
        for k in sorted(found):
            toks = key_ids[k]
            if one and len(toks) > 1:
                continue
            explained = sum(t.weight for t in terms if not t.hits.isdisjoint(toks))
            if 2 * explained >= weight:
                kept.append((explained, k))
        return self._cap(kept, limit)

    def _joined(self, query: list[str]) -> list[int]:
        """Keys equal to the query once the spaces are gone ("Kim Jong Un" / "Kim Jongun": 98)."""
        flat = "".join(query)
        held = self.joined.get(hash(flat), ())
        held = (held,) if held.__class__ is int else held
        words = self.words
        return [k for k in held if "".join(words[i] for i in self.key_ids[k]) == flat]

    def _blocked(self, query: list[str], terms: list[_Term], weight: int, limit: int) -> list[int]:
        """The blocking alone (no score bound: a low floor, or a very long query)."""
        explained: dict[int, int] = defaultdict(int)
        for term in terms:
            for k in set().union(*(self.postings[i] for i in term.hits)):
                explained[k] += term.weight
        return self._cap(sorted((w, k) for k, w in explained.items() if 2 * w >= weight), limit)

    @staticmethod
    def _cap(kept: list[tuple[int, int]], limit: int) -> list[int]:
        if len(kept) > limit:
            kept = sorted(sorted(kept, reverse=True)[:limit], key=lambda c: c[1])
        return [k for _, k in kept]

    def search(self, name: str, *, date_of_birth: dt.date | None = None, countries=(),
               floor: int | None = None, limit: int = 10) -> list[Candidate]:
        query = tokens(name)
        if not query:
            return []
        floor = thresholds()[1] if floor is None else floor
        subject_countries = {c.lower() for c in countries if c}
        # The least name score that can still end at ``floor``: 70 (or the floor), less the most
        # the evidence can add and the rounding of the final score.
        bonus = (6 if date_of_birth is not None else 0) + (3 if subject_countries else 0)
        lower = max(min(70.0, floor), floor - bonus - 0.5)
        best: dict[int, tuple[float, str]] = {}
        for k in self.candidates(query, lower):
            toks = self.key_tokens(k)
            score = name_score(query, toks)
            position = self.key_entry[k]
            if score > best.get(position, (-1.0, ""))[0]:
                best[position] = (score, " ".join(toks))
        out = []
        for position, (score, matched) in best.items():
            if score < 70 and score < floor:
                continue
            entry = self.entries[position]
            evidence = [f"name {score:.0f}: {' '.join(query)!r} ~ {matched!r}"]
            total = score
            for points, why in (_dob_points(date_of_birth, entry.birth_dates),
                                _country_points(subject_countries, entry.countries)):
                if why:
                    total += points
                    evidence.append(f"{points:+d} {why}")
            final = int(round(max(0.0, min(100.0, total))))
            if final >= floor:
                out.append(Candidate(entry, final, score, matched, evidence))
        out.sort(key=lambda c: (-c.score, c.entry.list_code, c.entry.external_id))
        return out[:limit]


_lock = threading.Lock()
_cached: tuple[tuple[int, ...], Index] | None = None


def active_version_ids() -> tuple[int, ...]:
    from .models import ListVersion

    return tuple(sorted(ListVersion.objects.filter(is_active=True, list__is_active=True)
                        .values_list("id", flat=True)))


def build_index(version_ids) -> Index:
    from .models import ListEntry

    rows = (ListEntry.objects.filter(version_id__in=list(version_ids))
            .values_list("id", "version_id", "version__list_id", "version__list__code", "version__list__kind",
                         "external_id", "schema", "name", "birth_dates", "countries", "programs", "names")
            .order_by("id").iterator(chunk_size=5000))
    return Index(rows)


def current_index() -> Index:
    """The index of the active list versions, built once per process per set of versions."""
    global _cached
    ids = active_version_ids()
    cached = _cached
    if cached is not None and cached[0] == ids:
        return cached[1]
    with _lock:
        if _cached is None or _cached[0] != ids:
            _cached = (ids, build_index(ids))
        return _cached[1]


def invalidate() -> None:
    global _cached
    _cached = None


def search(name: str, **options) -> list[Candidate]:
    return current_index().search(name, **options)
