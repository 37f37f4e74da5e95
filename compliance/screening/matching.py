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

Evidence (``score_candidate``) moves the name score when the name already scores 70 or more:
date of birth (same full date +6, same year +3, a year apart -5, further apart -15) and country
(the subject's country or nationality among the entry's +3, none of them -5).

Blocking: the index maps every token (exact), its folded form, its consonant skeleton and its
one-deletion neighbourhood (the symmetric-delete trick: every pair within one edit shares a key)
to the keys holding it. A query gathers the keys sharing a blocking key with one of its tokens
and keeps those sharing keys with tokens that make up at least half the query's letters (the
500 best-explained at most), then scores only those. The index is built once per process for the set
of active list versions (its cache key is their ids) and rebuilt when that set changes (one cheap
query per screening).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from anyascii import anyascii
from django.conf import settings
from rapidfuzz.distance import Levenshtein

DEFAULT_MATCH, DEFAULT_POSSIBLE = 92, 80
MAX_CANDIDATES = 500  # keys scored per query at most (the best-explained ones)

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


def fold(token: str) -> str:
    for a, b in _FOLDS:
        token = token.replace(a, b)
    return _DOUBLE.sub(r"\1", token)


def skeleton(token: str) -> str:
    folded = fold(token)
    return folded[:1] + _VOWELS.sub("", folded[1:])


def deletions(token: str) -> set[str]:
    return {token[:i] + token[i + 1:] for i in range(len(token))} if len(token) >= 4 else set()


def token_score(a: str, b: str) -> float:
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


@dataclass
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


class Index:
    """Keys (normalised names) of the entries of some list versions, with their blocking keys."""

    def __init__(self, rows) -> None:
        started = time.perf_counter()
        self.entries: list[Entry] = []
        self.keys: list[tuple[list[str], int]] = []  # (tokens, entry position)
        self.blocks: dict[str, list[int]] = defaultdict(list)  # blocking key -> key positions
        for row in rows:
            position = len(self.entries)
            self.entries.append(Entry(*row[:-1]))
            for key in dict.fromkeys(row[-1]):
                toks = key.split()
                if not toks:
                    continue
                k = len(self.keys)
                self.keys.append((toks, position))
                for blocking in {b for t in toks for b in self._blocking(t)}:
                    self.blocks[blocking].append(k)
        self.blocks = dict(self.blocks)
        self.build_seconds = time.perf_counter() - started

    @staticmethod
    def _blocking(token: str) -> set[str]:
        keys = {"=" + token, "~" + fold(token), "-" + token}
        if len(token) >= 4:
            keys.add("#" + skeleton(token))
        keys.update("-" + d for d in deletions(token))
        return keys

    def candidates(self, query: list[str], limit: int = MAX_CANDIDATES) -> list[int]:
        """Key positions worth scoring: those sharing a blocking key with query tokens that make
        up at least half the query's letters, the best-explained ``limit`` of them."""
        weight = sum(len(q) for q in query)
        explained: dict[int, int] = defaultdict(int)
        for q in dict.fromkeys(query):
            seen: set[int] = set()
            for b in self._blocking(q):
                seen.update(self.blocks.get(b, ()))
            for k in seen:
                explained[k] += len(q) * query.count(q)
        kept = [(w, k) for k, w in explained.items() if 2 * w >= weight]
        if len(kept) > limit:
            kept = sorted(kept, reverse=True)[:limit]
        return [k for _, k in kept]

    def search(self, name: str, *, date_of_birth: dt.date | None = None, countries=(),
               floor: int | None = None, limit: int = 10) -> list[Candidate]:
        query = tokens(name)
        if not query:
            return []
        floor = thresholds()[1] if floor is None else floor
        subject_countries = {c.lower() for c in countries if c}
        best: dict[int, tuple[float, str]] = {}
        for k in self.candidates(query):
            toks, position = self.keys[k]
            score = name_score(query, toks)
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
