"""How well a header (or a file, folder or sheet name) names a contract column (or table).

Normalised names, the synonym table, containment (`Sponsor Name` ⊃ sponsor) and difflib
similarity; the thresholds that make a score a candidate, a sure match or a close call.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata

from pipelines.load.contract import SOURCES_BY_NAME
from pipelines.mapping.starter.synonyms import COLUMN_SYNONYMS, TABLE_HINTS

ACCEPT = 0.6  # a header scoring below this is no candidate for a contract column
CONFIDENT = 0.85  # at or above this (and no close runner-up), the match is written without a TODO
CLOSE = 0.05  # a runner-up within this of the best makes the match unsure
SIMILAR = 0.75  # difflib ratio from which two names count as alike (typos, abbreviations)


def normalise(text: str) -> str:
    """A name for comparison: accents folded, lower case, letters and digits only."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9a-z]+", "", folded.lower())


def value_words(text: str) -> str:
    """A value for vocabulary look-up: lower case words separated by one space (symbols kept)."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode() or str(text)
    return " ".join(re.sub(r"[\s_\-/.,;:()\[\]'\"!?]+", " ", folded.lower()).split()) or str(text).strip()


def _variants(header: str) -> set[str]:
    """The header normalised, also without a unit in brackets: `Budget (£k)` → budget."""
    out = {normalise(header), normalise(re.sub(r"\(.*?\)|\[.*?\]", " ", header))}
    return {v for v in out if v}


@functools.lru_cache(maxsize=None)
def _phrases(table: str, column: str) -> tuple[tuple[str, float], ...]:
    """Normalised names a contract column may go by in its table, with their strength."""
    source = SOURCES_BY_NAME[table]
    col = source.column(column)
    phrases = {normalise(col.name): 1.0, normalise(col.name.replace("_pct", " percent")): 1.0}
    phrases.update({normalise(p): s for p, s in COLUMN_SYNONYMS.get(col.name, {}).items()})
    if len(source.key) == 1 and col.name == source.key[0] and col.name.endswith("_id"):
        # A register's own key often is just "ID" or "Ref".
        for p in ("id", "ref", "reference", "no", "number", "code", "key"):
            phrases.setdefault(p, .8)
    return tuple(phrases.items())


@functools.lru_cache(maxsize=None)
def name_score(header: str, table: str, column: str) -> float:
    """How well a header names a contract column: 1 exact, a synonym's strength, less for
    containment (`Sponsor Name` ⊃ sponsor) or similarity (difflib ratio)."""
    best = 0.0
    for h in _variants(header):
        for p, strength in _phrases(table, column):
            if h == p:
                score = strength
            elif len(p) >= 3 and p in h:
                score = strength * (0.75 + 0.2 * len(p) / len(h))
            else:
                floor = max(best, ACCEPT * 0.75)  # only scores above this matter
                bound = 2 * min(len(h), len(p)) / (len(h) + len(p))  # the ratio can be no higher
                if bound < SIMILAR or strength * 0.9 * bound <= floor:
                    continue
                matcher = difflib.SequenceMatcher(None, h, p)
                if strength * 0.9 * matcher.quick_ratio() <= floor:
                    continue
                ratio = matcher.ratio()  # below 0.75 a likeness is a coincidence ("agencycode", "currencycode")
                score = strength * 0.9 * ratio if ratio >= SIMILAR else 0.0
            best = max(best, score)
    return best


def hint_score(names: list[str], table: str) -> float:
    """0.15 when a file, folder or sheet name is a table's name, 0.1 when it contains one."""
    best = 0.0
    hints = [normalise(h) for h in (table, *TABLE_HINTS.get(table, ()))]
    for name in names:
        n = normalise(name)
        for h in hints:
            if n == h:
                best = max(best, 0.15)
            elif len(h) >= 4 and h in n:
                best = max(best, 0.1)
    return best
