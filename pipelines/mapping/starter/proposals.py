"""Proposals for a matched column: value maps for enums and booleans, date formats, number options.

`In Flight` → active, `G` → green (`place_value`); `31/12/2024` → `%d/%m/%Y`, with ambiguous day
and month order flagged (`propose_date`); `£1,250k` and a scale from a `(£k)` header
(`propose_number`); how well a column's values fit a contract type (`type_factor`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from pipelines.load.contract import Column
from pipelines.mapping.starter.column_profile import DATE_FORMATS, MAX_DISTINCT, ColumnProfile
from pipelines.mapping.starter.names import value_words
from pipelines.mapping.starter.synonyms import BOOLEAN_COLUMN_WORDS, BOOLEAN_WORDS, ENGINE_BOOLEANS, VALUE_WORDS


def _vocab(col: Column) -> dict[Any, list[str]]:
    """Target value → normalised phrases for an enum or boolean contract column."""
    if col.type == "boolean":
        merged = {t: BOOLEAN_WORDS[t].split("|") + BOOLEAN_COLUMN_WORDS.get(col.name, {}).get(t, "").split("|")
                  for t in (True, False)}
        return {t: [p for p in ps if p] for t, ps in merged.items()}
    table = VALUE_WORDS.get(col.name, {})
    return {t: [value_words(p) for p in table.get(t, "").split("|") if p] for t in col.values if t in table} or {}


@dataclass
class _Placed:
    target: Any  # the contract value (None: cannot place)
    sure: bool
    others: list[Any] = field(default_factory=list)


def already_valid(col: Column, value: str) -> bool:
    if col.type == "boolean":
        return value.strip().lower() in ENGINE_BOOLEANS
    word = value.strip().upper() if col.upper else value.strip().lower()
    return word in col.values


def place_value(col: Column, value: str) -> _Placed:
    """Which contract value an input word means: an exact phrase (sure), a phrase inside it or a
    near spelling (a guess), or nothing."""
    vocab = _vocab(col)
    w = value_words(value)
    exact = [t for t, phrases in vocab.items() if w in phrases or value.strip().lower() in phrases]
    if exact:
        return _Placed(exact[0], len(exact) == 1, exact[1:])
    inside = sorted(
        ((len(p), t) for t, phrases in vocab.items() for p in phrases
         if len(p) >= 3 and re.search(rf"(^| ){re.escape(p)}( |$)", w)),
        key=lambda x: -x[0],
    )
    if inside:
        targets = list(dict.fromkeys(t for _, t in inside))
        return _Placed(targets[0], False, targets[1:])
    lookup = {p: t for t, phrases in vocab.items() for p in phrases if len(p) >= 4}
    close = difflib.get_close_matches(w, list(lookup), n=3, cutoff=0.8)
    if close:
        targets = list(dict.fromkeys(lookup[c] for c in close))
        return _Placed(targets[0], False, targets[1:])
    return _Placed(None, False)


def _enum_fit(col: Column, prof: ColumnProfile) -> float | None:
    """Share of an input column's distinct values that are, or place as, the column's values."""
    if not prof.top or prof.distinct > MAX_DISTINCT:
        return None
    ok = sum(1 for v in prof.top if already_valid(col, v) or place_value(col, v).target is not None)
    return ok / len(prof.top)


def type_factor(col: Column, prof: ColumnProfile | None) -> float:
    """How well an input column's values fit a contract column's type (multiplies the name score)."""
    if prof is None or not prof.count:
        return 0.95
    if col.type in ("date", "month", "timestamp"):
        share = prof.date_share
        return 1.05 if share >= 0.8 else 1.0 if share >= 0.5 else 0.75
    if col.type in ("decimal", "integer"):
        share = prof.number_share
        return 1.05 if share >= 0.8 else 1.0 if share >= 0.5 else 0.75
    if col.type in ("enum", "boolean"):
        fit = _enum_fit(col, prof)
        if fit is None:  # too many distinct values for an enum
            return 0.75
        return 1.1 if fit >= 0.5 else 0.9 if fit > 0 else 0.7
    return 1.0


@dataclass
class _DateProposal:
    formats: list[str]  # [] for ISO 8601
    todo: str | None = None
    swapped: str | None = None  # day and month order ambiguous: the other reading of formats[0]


def propose_date(prof: ColumnProfile) -> _DateProposal:
    """The strftime format(s) of a date column's values (ISO needs none; Excel serials: excel)."""
    rest = prof.count - prof.iso
    if rest <= 0:
        return _DateProposal([])
    if prof.serial >= rest:
        return _DateProposal(["excel"])
    extra = ["excel"] if prof.serial else []
    fits = [f for f in DATE_FORMATS if prof.formats.get(f, 0) + prof.serial >= rest]
    if fits:
        first = fits[0]
        swapped = _swap_day_month(first)
        if swapped != first and swapped in fits:
            return _DateProposal([first, *extra], swapped=swapped)
        return _DateProposal([first, *extra])
    best = max(DATE_FORMATS, key=lambda f: (prof.formats.get(f, 0), -DATE_FORMATS.index(f)))
    read = prof.formats.get(best, 0) + prof.serial + prof.iso
    if prof.formats.get(best, 0) and read >= 0.8 * prof.count:
        return _DateProposal([best, *extra], f"{prof.count - read} of {prof.count} values do not read as {best}")
    return _DateProposal(extra, f"{rest} of {prof.count} values are no date format known here (e.g. {_example(prof)})")


def _swap_day_month(fmt: str) -> str:
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _example(prof: ColumnProfile) -> str:
    odd = [v for v in prof.top if not re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", v)]
    return repr(odd[0]) if odd else "?"


_SCALE_WORDS = (
    (re.compile(r"[£$€]\s?bn|\bbn\b|billions?", re.I), 1e9, "billions"),
    (re.compile(r"[£$€]\s?mm?\b|\(\s*m\s*\)|\bmn\b|\$mm|millions?", re.I), 1e6, "millions"),
    (re.compile(r"[£$€]\s?k\b|\(\s*k\s*\)|'000|\b000s\b|thousands?", re.I), 1e3, "thousands"),
)


def propose_number(header: str, prof: ColumnProfile) -> tuple[dict[str, Any] | None, str | None]:
    """`number:` options when values are not plain (£, 1,234, 12k, 12,5) or the header gives a
    scale (`Budget (£k)`); with a TODO note for the scale, which is a guess from the header."""
    opts: dict[str, Any] = {}
    note = None
    if prof.decimal_comma and not prof.decimal_point:
        opts.update(decimal=",", thousands=".")
    elif prof.with_currency or prof.thousands or prof.suffixed:
        opts.update(decimal=".", thousands=",")
    if prof.suffixed:
        opts["suffixes"] = True
    for pattern, scale, words in _SCALE_WORDS:
        if pattern.search(header):
            opts.setdefault("decimal", ".")
            opts.setdefault("thousands", ",")
            opts["scale"] = int(scale)
            note = f"scale {int(scale)}: the header {header!r} reads as {words}"
            break
    return (opts or None), note
