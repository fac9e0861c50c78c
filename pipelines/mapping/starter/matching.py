"""Matching: each contract table's best input and a one-to-one match of its columns to headers.

Each contract column is scored against each header (`names.name_score` times how well the values
fit its type); a table takes the input that covers it best, helped by the file or sheet name;
an input serves one table. A wide sheet (a date column and many numeric KPI columns) is proposed
for kpi_measurements with an `unpivot`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.load.contract import SOURCES, Source
from pipelines.mapping.starter.discover import CandidateInput
from pipelines.mapping.starter.names import ACCEPT, CLOSE, CONFIDENT, name_score, normalise
from pipelines.mapping.starter.proposals import type_factor


@dataclass
class _Match:
    header: str
    score: float
    close: list[str] = field(default_factory=list)  # free headers scoring within CLOSE: unsure
    others: list[str] = field(default_factory=list)  # what else could be meant (for the TODO)

    @property
    def sure(self) -> bool:
        return self.score >= CONFIDENT and not self.close


@dataclass
class _Wide:
    date_column: str
    value_columns: list[str]
    excluded: list[str]


@dataclass
class TablePlan:
    """A contract table's chosen input and column matches."""

    source: Source
    input: CandidateInput | None = None
    matches: dict[str, _Match] = field(default_factory=dict)
    score: float = 0.0
    decent: bool = False
    wide: _Wide | None = None
    runner_up: str | None = None


def _column_scores(source: Source, inp: CandidateInput) -> dict[str, list[tuple[float, str]]]:
    """Per contract column: (score, header) for every header scoring at least ACCEPT, best first."""
    out: dict[str, list[tuple[float, str]]] = {}
    for col in source.columns:
        scored = []
        for k, header in enumerate(inp.header):
            name = name_score(header, source.name, col.name)
            if name < ACCEPT * 0.75:
                continue
            score = min(1.0, name * type_factor(col, inp.profiles.get(header)))
            if score >= ACCEPT:
                scored.append((round(score, 4), k, header))
        scored.sort(key=lambda x: (-x[0], x[1]))
        out[col.name] = [(s, h) for s, _, h in scored]
    return out


def _assign(source: Source, inp: CandidateInput) -> dict[str, _Match]:
    """Greedy one-to-one assignment of headers to contract columns, best score first."""
    scores = _column_scores(source, inp)
    order = {c.name: k for k, c in enumerate(source.columns)}
    pairs = sorted(((s, order[c], c, h) for c, lst in scores.items() for s, h in lst), key=lambda x: (-x[0], x[1]))
    taken: dict[str, str] = {}
    matches: dict[str, _Match] = {}
    for score, _, col, header in pairs:
        if col in matches or header in taken:
            continue
        matches[col] = _Match(header, score)
        taken[header] = col
    for col, m in matches.items():
        rivals = [(s, h) for s, h in scores[col] if h != m.header]
        m.close = [h for s, h in rivals if h not in taken and s >= m.score - CLOSE]
        m.others = [h for _, h in sorted(rivals, key=lambda r: (r[1] in taken, -r[0]))][:3]
    return matches


def _wide(inp: CandidateInput) -> _Wide | None:
    """A wide KPI sheet: a date-like first column and at least two numeric columns whose headers
    name no contract column (one column per KPI)."""
    if len(inp.header) < 3 or not inp.rows:
        return None
    first = inp.header[0]
    prof = inp.profiles.get(first)
    dated = prof and prof.count and (
        prof.date_share >= 0.8
        or (normalise(first) in {"date", "day", "week", "weekending", "month", "period"} and prof.date_share >= 0.5)
    )
    if not dated:
        return None
    numeric = [h for h in inp.header[1:] if (p := inp.profiles.get(h)) and p.count and p.number_share >= 0.8]
    contract_like = {
        h for h in numeric
        if any(name_score(h, s.name, c.name) >= CONFIDENT for s in SOURCES for c in s.columns)
    }
    kpis = [h for h in numeric if h not in contract_like]
    if len(kpis) < 2 or len(kpis) * 2 < len(inp.header) - 1:
        return None
    return _Wide(first, kpis, [h for h in inp.header if h not in kpis])


def _plan_for(source: Source, inp: CandidateInput) -> TablePlan:
    hint = inp.hint(source.name)
    if source.name == "kpi_measurements" and (wide := _wide(inp)):
        return TablePlan(source, inp, {}, 0.9 + hint, True, wide)
    matches = _assign(source, inp)
    weights = {c.name: (1.0 if c.required else 0.3) for c in source.columns}
    coverage = sum(weights[c] * m.score for c, m in matches.items()) / sum(weights.values())
    required = [c for c in source.required_columns if c in matches]
    share = len(required) / max(1, len(source.required_columns))
    decent = share >= 0.5 or (hint > 0 and share >= 0.3)
    return TablePlan(source, inp, matches, coverage + hint, decent)


def plan_tables(inputs: list[CandidateInput]) -> dict[str, TablePlan]:
    """Each contract table's best input; an input serves one table (best pairs first)."""
    options = [(_plan_for(s, inp), si, ii) for si, s in enumerate(SOURCES) for ii, inp in enumerate(inputs)]
    options.sort(key=lambda o: (-o[0].score, o[1], o[2]))
    chosen: dict[str, TablePlan] = {}
    used: set[int] = set()
    for plan, _, ii in options:
        if plan.decent and plan.source.name not in chosen and ii not in used:
            chosen[plan.source.name] = plan
            used.add(ii)
    for name, plan in chosen.items():  # a close second input is worth a look
        rivals = [o for o, _, ii in options if o.source.name == name and o.input is not plan.input and o.decent]
        if rivals and rivals[0].score >= plan.score - 0.1:
            plan.runner_up = rivals[0].input.label
    out: dict[str, TablePlan] = {}
    for source in SOURCES:
        if source.name in chosen:
            out[source.name] = chosen[source.name]
        else:  # the best of the rest, shown commented out
            weak = [o for o, _, ii in options if o.source.name == source.name and ii not in used and o.score > 0.15]
            out[source.name] = weak[0] if weak else TablePlan(source)
            out[source.name].decent = False
    return out
