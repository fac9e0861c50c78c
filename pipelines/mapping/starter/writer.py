"""The starter `sources.yml` written from the table plans, with a `# TODO: …` on every guess.

A required column without a match gets `{value: TODO}`; a table without a decent input is
written commented out; one date format goes to `defaults` when every non-ISO date column reads
with it. The text is deterministic for the same files.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipelines.load.contract import SOURCES, Column
from pipelines.load.warehouse import literal, quote
from pipelines.mapping.starter.column_profile import MAX_DISTINCT, ColumnProfile
from pipelines.mapping.starter.discover import CandidateInput, load_input_file
from pipelines.mapping.starter.matching import TablePlan
from pipelines.mapping.starter.names import normalise
from pipelines.mapping.starter.proposals import already_valid, place_value, propose_date, propose_number
from pipelines.mapping.starter.synonyms import CURRENCY_OF_SYMBOL, TOTAL_WORDS
from pipelines.mapping.starter.yaml_text import YamlLines, flow_mapping, yaml_key, yaml_scalar


@dataclass
class StarterResult:
    text: str
    report: list[str]


class MappingWriter:
    """Turns the plans into YAML, collecting TODOs for the report."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, source_dir: Path, plans: dict[str, TablePlan]) -> None:
        self.conn = conn
        self.source_dir = source_dir
        self.plans = plans
        self.todos: list[str] = []
        self.default_date: str | None = None
        self.kpi_ids: dict[str, str] | None = None  # kpi_name → kpi_id from the kpi_definitions input

    def todo(self, where: str, text: str) -> str:
        self.todos.append(f"TODO {where}: {text}")
        return f"TODO: {text}"

    # -- dates shared by every table

    def choose_default_date(self) -> None:
        """One date format in `defaults` when every non-ISO date column reads with it."""
        seen: set[tuple[str, ...]] = set()
        for plan in self.plans.values():
            if not plan.decent or plan.input is None:
                continue
            cols = [(plan.source.column(c), m.header) for c, m in plan.matches.items()]
            if plan.wide:
                cols.append((plan.source.column("measured_on"), plan.wide.date_column))
            for col, header in cols:
                if col.type in ("date", "month"):
                    prop = propose_date(plan.input.profiles.get(header, ColumnProfile()))
                    if prop.formats and not prop.swapped:
                        seen.add(tuple(prop.formats))
        if len(seen) == 1:
            only = next(iter(seen))
            if len(only) == 1:
                self.default_date = only[0]

    def _date_entry(self, inp: CandidateInput, header: str, col_type: str) -> tuple[dict[str, Any], str | None]:
        """`date:` (or `timestamp:`) for a column, unless ISO or the defaults read it; and a TODO
        when unsure. An ambiguous day/month order follows the input's other date columns, else
        the defaults."""
        prop = propose_date(inp.profiles.get(header, ColumnProfile()))
        formats, todo = prop.formats, prop.todo
        if prop.swapped:
            first = formats[0]
            sibling = self._day_month_convention(inp, header)
            if sibling and sibling[0] in (first, prop.swapped):
                chosen, why = sibling[0], f" like column {sibling[1]!r}"
            elif self.default_date in (first, prop.swapped):
                chosen, why = self.default_date, " like the other date columns"
            else:
                chosen, why = first, ""
            other = prop.swapped if chosen == first else first
            formats = [chosen, *formats[1:]]
            todo = f"check — day and month order ambiguous (no day above 12): read as {chosen}{why}; also possible: {other}"
        key = "timestamp" if col_type == "timestamp" else "date"
        if not formats or (key == "date" and formats == [self.default_date]):
            return {}, todo
        return {key: formats[0] if len(formats) == 1 else formats}, todo

    @staticmethod
    def _day_month_convention(inp: CandidateInput, header: str) -> tuple[str, str] | None:
        """(format, column) of another date column of the input whose day/month order is certain."""
        for other in inp.header:
            prof = inp.profiles.get(other)
            if other == header or not prof or prof.date_share < 0.8:
                continue
            prop = propose_date(prof)
            if prop.formats and not prop.swapped and "%d" in prop.formats[0] and "%m" in prop.formats[0]:
                return prop.formats[0], other
        return None

    # -- one table

    def table(self, out: YamlLines, plan: TablePlan) -> None:
        source, inp = plan.source, plan.input
        name = source.name
        if inp is None:
            if source.required:
                out.note(2, self.todo(f"tables.{name}", "no export found that looks like it; map it, or declare "
                                                           "that there is none"))
                out.note(2, f"{name}:")
                out.note(2, "  absent: true")
            else:
                out.note(2, f"{name} (optional): no export found that looks like it; not needed unless used")
            out.lines.append("")
            return
        block = YamlLines()
        start = len(self.todos)
        self._table_body(block, plan)
        if plan.decent:
            out.lines += block.lines
        else:
            del self.todos[start:]  # the block is commented out: one TODO for the whole table
            required = [c for c in source.required_columns if c in plan.matches]
            what = (f"best guess below: {inp.label}, {len(required)} of {len(source.required_columns)} "
                    "required columns matched")
            out.note(2, self.todo(f"tables.{name}", f"no decent match among the exports ({what})"))
            out.note(2, f"Uncomment and complete it, or write `{name}: {{absent: true}}` if there is no such export.")
            out.lines += [line[:2] + "# " + line[2:] for line in block.lines]
        out.lines.append("")

    def _table_body(self, out: YamlLines, plan: TablePlan) -> None:
        source, inp = plan.source, plan.input
        name = source.name
        out.add(2, f"{name}:")
        if plan.wide:
            summary = f"{inp.label}: a wide sheet, one column per KPI ({len(plan.wide.value_columns)}): unpivoted"
        else:
            matched = len(plan.matches)
            summary = f"{inp.label}: {matched} of {len(source.columns)} contract columns matched"
        out.note(4, summary + (f", {inp.rows} row{'s' if inp.rows != 1 else ''}" if inp.rows else ", no data rows"))
        comment = None
        if plan.runner_up:
            comment = self.todo(f"tables.{name}.input", f"check — also possible: {plan.runner_up}")
        out.add(4, f"input: {flow_mapping(inp.input_yaml())}", comment)
        self._filter(out, plan)
        if plan.wide:
            self._wide_columns(out, plan)
            return
        out.add(4, "columns:")
        for col in source.columns:
            self._column(out, plan, col)

    def _filter(self, out: YamlLines, plan: TablePlan) -> None:
        """Skip subtotal rows ("Total" in the key column)."""
        key = plan.matches.get(plan.source.key[0]) if plan.matches else None
        prof = plan.input.profiles.get(key.header) if key else None
        if key and prof and prof.totals:
            words = ", ".join(literal(w) for w in TOTAL_WORDS)
            sql = f"lower(coalesce({quote(key.header)}, '')) NOT IN ({words})"
            out.add(4, f"filter: {yaml_scalar(sql)}", f"skips {prof.totals} subtotal row(s)")

    # -- columns

    def _column(self, out: YamlLines, plan: TablePlan, col: Column) -> None:
        where = f"tables.{plan.source.name}.columns.{col.name}"
        match = plan.matches.get(col.name)
        if match is None:
            self._unmatched(out, plan, col, where)
            return
        prof = plan.input.profiles.get(match.header, ColumnProfile())
        spec: dict[str, Any] = {"column": match.header}
        comments: list[str] = []
        if not match.sure:
            also = f" — also possible: {', '.join(match.others)}" if match.others else " — weak match by name"
            comments.append(self.todo(where, f"check{also}"))
        values: list[tuple[str, Any, str | None]] = []  # (input word, target, comment)
        if col.type in ("date", "month", "timestamp"):
            more, todo = self._date_entry(plan.input, match.header, col.type)
            spec.update(more)
            if todo:
                comments.append(self.todo(where, todo))
        elif col.type in ("decimal", "integer"):
            opts, note = propose_number(match.header, prof)
            if opts:
                spec["number"] = opts
            if note:
                comments.append(self.todo(where, f"check {note}"))
        elif col.type in ("enum", "boolean"):
            values = self._values(col, prof, where, comments)
        self._emit(out, col.name, spec, comments, values)

    def _values(self, col: Column, prof: ColumnProfile, where: str, comments: list[str]) -> list[tuple[str, Any, str | None]]:
        """The `values:` entries for the input words that are not contract values already."""
        if prof.distinct > MAX_DISTINCT:
            comments.append(self.todo(where, f"{prof.distinct} distinct values: is this the right column?"))
            return []
        allowed = "an ISO 4217 code" if len(col.values) > 10 else (
            "true or false" if col.type == "boolean" else "one of " + ", ".join(col.values))
        entries, unplaced = [], []
        for word in sorted(prof.top, key=lambda v: (v.casefold(), v)):
            if already_valid(col, word):
                continue
            placed = place_value(col, word)
            if placed.target is None:
                unplaced.append(word)
                entries.append((word, None, allowed))
            elif placed.sure:
                entries.append((word, placed.target, None))
            else:
                also = f" — also possible: {', '.join(map(str, placed.others))}" if placed.others else ""
                entries.append((word, placed.target, self.todo(f"{where}.values.{word}", f"check{also}")))
        if unplaced:
            shown = ", ".join(repr(w) for w in unplaced[:5]) + (f" and {len(unplaced) - 5} more" if len(unplaced) > 5 else "")
            self.todo(f"{where}.values", f"{shown} not placed ({allowed})")
        return entries

    def _emit(self, out: YamlLines, name: str, spec: dict[str, Any], comments: list[str],
              values: list[tuple[str, Any, str | None]]) -> None:
        """One column entry: `name: Header`, a flow mapping, or a block with its `values:` map
        (words that could not be placed are commented-out TODO entries)."""
        comment = "; ".join(comments) or None
        if not values:
            if list(spec) == ["column"]:
                out.add(6, f"{name}: {yaml_scalar(spec['column'])}", comment)
            else:
                out.add(6, f"{name}: {flow_mapping(spec)}", comment)
            return
        out.add(6, f"{name}:", comment)
        for k, v in spec.items():
            out.add(8, f"{k}: {flow_mapping(v) if isinstance(v, dict) else yaml_scalar(v)}")
        placed = [(w, t, c) for w, t, c in values if t is not None]
        out.add(8, "values:" if placed else "values: {}")
        for word, target, note in values:
            if target is None:
                out.note(10, f"{yaml_key(word)}: TODO  ({note})")
            else:
                out.add(10, f"{yaml_key(word)}: {yaml_scalar(target)}", note)

    def _unmatched(self, out: YamlLines, plan: TablePlan, col: Column, where: str) -> None:
        if not col.required:
            out.note(6, f"{col.name}: no matching column (optional)")
            return
        if col.name == "recorded_at":
            out.add(6, "recorded_at: {file_modified: true}", "no recorded-at column: the file's modification time")
            return
        if col.name == "currency" and (code := self._currency_guess(plan)):
            symbol, code = code
            out.add(6, "currency: " + flow_mapping({"value": code}),
                    self.todo(where, f"check — no currency column; guessed from the {symbol!r} in the amounts"))
            return
        out.add(6, f"{col.name}: {{value: TODO}}", self.todo(where, "required, no matching column"))

    def _currency_guess(self, plan: TablePlan) -> tuple[str, str] | None:
        """A currency code from a £/$/€ in the money columns' headers or values."""
        for name in ("budget_at_completion", "contract_value"):
            m = plan.matches.get(name)
            if not m:
                continue
            prof = plan.input.profiles.get(m.header, ColumnProfile())
            for symbol in [prof.currency, *re.findall(r"[£$€¥₹]", m.header)]:
                if symbol in CURRENCY_OF_SYMBOL:
                    return symbol, CURRENCY_OF_SYMBOL[symbol]
        return None

    # -- the wide KPI sheet

    def _names_to(self, inp: CandidateInput, wanted: str) -> str:
        taken = {h.lower() for h in inp.header}
        for candidate in (wanted, f"{wanted}_name", f"brw_{wanted}"):
            if candidate.lower() not in taken:
                return candidate
        return f"brw_{wanted}_{len(taken)}"

    def _wide_columns(self, out: YamlLines, plan: TablePlan) -> None:
        inp, wide = plan.input, plan.wide
        where = "tables.kpi_measurements"
        names_to, values_to = self._names_to(inp, "kpi"), self._names_to(inp, "reading")
        out.add(4, "unpivot: " + flow_mapping({"exclude": wide.excluded, "names_to": names_to, "values_to": values_to}))
        out.add(4, "columns:")
        ids = self._kpi_ids()
        entries, unplaced = [], []
        for header in sorted(wide.value_columns, key=str.casefold):
            kpi = self._kpi_for(header, ids)
            if kpi is None:
                unplaced.append(header)
            elif kpi[0] != header:
                entries.append((header, kpi[0], None if kpi[1] else self.todo(f"{where}.columns.kpi_id.values.{header}",
                                                                              "check — by a similar kpi_name")))
        if not entries and not unplaced:  # the headers are kpi_ids already
            out.add(6, f"kpi_id: {yaml_scalar(names_to)}")
        elif not entries:
            out.add(6, "kpi_id:")
            out.add(8, f"column: {yaml_scalar(names_to)}",
                    self.todo(f"{where}.columns.kpi_id", "map each KPI column header to its kpi_id under values"))
            out.note(8, "values:")
            for header in unplaced:
                out.note(8, f"  {yaml_key(header)}: TODO")
        else:
            out.add(6, "kpi_id:")
            out.add(8, f"column: {yaml_scalar(names_to)}")
            out.add(8, "values:")
            for header, kpi, note in entries:
                out.add(10, f"{yaml_key(header)}: {yaml_scalar(kpi)}", note)
            for header in unplaced:
                self.todo(f"{where}.columns.kpi_id.values", f"{header!r}: no kpi_id or kpi_name like it")
                out.note(10, f"{yaml_key(header)}: TODO  (no kpi_id or kpi_name like it)")
        more, todo = self._date_entry(inp, wide.date_column, "date")
        spec: dict[str, Any] = {"column": wide.date_column, **more}
        comments = [self.todo(f"{where}.columns.measured_on", todo)] if todo else []
        self._emit(out, "measured_on", spec, comments, [])
        merged = ColumnProfile()
        for header in wide.value_columns:
            merged = merged.merged(inp.profiles.get(header, ColumnProfile()))
        opts, _ = propose_number("", merged)
        self._emit(out, "value", {"column": values_to, **({"number": opts} if opts else {})}, [], [])
        out.add(6, "recorded_at: {file_modified: true}", "when the file was saved: a restated file wins")

    def _kpi_ids(self) -> dict[str, str]:
        """kpi_name → kpi_id as the kpi_definitions input holds them (when both are input columns)."""
        if self.kpi_ids is not None:
            return self.kpi_ids
        self.kpi_ids = {}
        plan = self.plans.get("kpi_definitions")
        if not plan or not plan.decent or plan.input is None:
            return self.kpi_ids
        id_m, name_m = plan.matches.get("kpi_id"), plan.matches.get("kpi_name")
        if not id_m or not name_m:
            return self.kpi_ids
        inp = plan.input
        pairs: dict[str, str] = {}
        for path in inp.paths[:20]:
            load_input_file(self.conn, self.source_dir, inp, path)
            rows = self.conn.execute(
                f"SELECT DISTINCT trim({quote(name_m.header)}), trim({quote(id_m.header)}) FROM _input "
                f"WHERE trim({quote(name_m.header)}) <> '' AND trim({quote(id_m.header)}) <> '' ORDER BY 1, 2 LIMIT 1000"
            ).fetchall()
            self.conn.execute("DROP TABLE IF EXISTS _input")
            for kpi_name, kpi_id in rows:
                pairs.setdefault(kpi_name, kpi_id)
        self.kpi_ids = pairs
        return pairs

    @staticmethod
    def _kpi_for(header: str, ids: dict[str, str]) -> tuple[str, bool] | None:
        """(kpi_id, sure) for a KPI column header: it is an id, or a kpi_name (by name or similar)."""
        by_id = {i.casefold(): i for i in ids.values()}
        if header.casefold() in by_id:
            return by_id[header.casefold()], True
        by_name = {normalise(n): i for n, i in ids.items()}
        if normalise(header) in by_name:
            return by_name[normalise(header)], True
        close = difflib.get_close_matches(normalise(header), list(by_name), n=1, cutoff=0.75)
        return (by_name[close[0]], False) if close else None

    # -- the whole file

    def render(self, source_dir: Path, notes: list[str]) -> StarterResult:
        self.choose_default_date()
        out = YamlLines()
        out.note(0, f"Starter sources.yml written by `brw sources init` from the files in {source_dir.name}/.")
        out.note(0, "It is a first guess from headers and values, not a finished mapping: check every line,")
        out.note(0, "above all those marked TODO, then run `brw sources check --source DIR`.")
        out.note(0, "Format: README, section \"Your own exports (`sources.yml`)\".")
        out.add(0, "version: 1")
        if self.default_date:
            out.add(0, "defaults:")
            out.add(2, f"date: {yaml_scalar(self.default_date)}", "the format of every non-ISO date column found")
        out.add(0, "tables:" if any(p.decent for p in self.plans.values()) else "tables: {}")
        report = []
        for source in SOURCES:
            plan = self.plans[source.name]
            start = len(self.todos)
            self.table(out, plan)
            report.append(self._report_line(plan))
            report += ["  " + t for t in self.todos[start:]]
        while out.lines and out.lines[-1] == "":
            out.lines.pop()
        return StarterResult("\n".join(out.lines) + "\n", report + notes)

    @staticmethod
    def _report_line(plan: TablePlan) -> str:
        name = plan.source.name
        inp = plan.input
        if inp is None:
            return f"{name}: no export found" + ("" if plan.source.required else " (optional table)")
        where = inp.label + (f" (header row {inp.header_row})" if inp.header_row != 1 else "")
        if plan.wide:
            return f"{name}: {where}: wide sheet, {len(plan.wide.value_columns)} KPI columns unpivoted"
        req = [c for c in plan.source.required_columns if c in plan.matches]
        counts = (f"{len(plan.matches)} of {len(plan.source.columns)} columns matched "
                  f"({len(req)} of {len(plan.source.required_columns)} required)")
        if plan.decent:
            return f"{name}: {where}: {counts}"
        return f"{name}: no decent match (best: {where}, {counts}); written commented out"
