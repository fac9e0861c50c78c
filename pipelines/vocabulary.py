"""The benefit-status vocabulary and the rule thresholds, as the warehouse holds them.

They are defined once, in dbt (`benefit_statuses` and the threshold vars of
dbt_project/dbt_project.yml, built into marts.dim_benefit_status and marts.dim_status_threshold).
The CLI, the board pack and the dashboard read them from there through this module: the order a
board reads statuses in, their labels and colours, which need attention, and the threshold
values quoted in explanations. Renaming a status or moving a threshold is an edit of the dbt
vars; nothing here names a status.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATUS_SQL = """
    SELECT status, status_key, status_label, board_order, colour, tone, needs_attention,
           closure_attention, flags_benefits_watermelon, is_tracked, status_description
    FROM marts.dim_benefit_status ORDER BY board_order"""
THRESHOLD_SQL = "SELECT threshold_name, threshold_value, unit FROM marts.dim_status_threshold"
_UNKNOWN_COLOUR = "#8c959f"


@dataclass(frozen=True)
class Status:
    code: str                 # the value stored in fct_benefit_status.status
    key: str                  # the SPEC's name of the rule (stable)
    label: str                # what a board reads
    board_order: int
    colour: str
    tone: str                 # red | amber | green | grey
    needs_attention: bool
    closure_attention: bool
    flags_benefits_watermelon: bool
    is_tracked: bool
    description: str


@dataclass(frozen=True)
class Vocabulary:
    statuses: tuple[Status, ...] = ()
    thresholds: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, status_rows, threshold_rows=()) -> "Vocabulary":
        """From the rows of STATUS_SQL and THRESHOLD_SQL (tuples in their column order)."""
        statuses = tuple(Status(*row) for row in status_rows)
        return cls(statuses, {name: value for name, value, *_ in threshold_rows})

    @classmethod
    def read(cls, conn) -> "Vocabulary":
        """From a DuckDB connection to the warehouse (or its read copy)."""
        return cls.from_rows(conn.execute(STATUS_SQL).fetchall(), conn.execute(THRESHOLD_SQL).fetchall())

    def _by_code(self) -> dict[str, Status]:
        return {s.code: s for s in self.statuses}

    def status(self, code: str) -> Status:
        """The status of a code; a grey stand-in for a code the vocabulary does not know."""
        known = self._by_code().get(code)
        if known is not None:
            return known
        return Status(code, code, code, len(self.statuses) + 1, _UNKNOWN_COLOUR, "grey",
                      False, False, False, True, "")

    def by_key(self, key: str) -> Status:
        """The status of a SPEC rule name (e.g. 'stale'), whatever its code is now."""
        for status in self.statuses:
            if status.key == key:
                return status
        raise KeyError(f"no benefit status has the key {key!r} (marts.dim_benefit_status)")

    def label(self, code: str) -> str:
        return self.status(code).label

    def colour(self, code: str) -> str:
        return self.status(code).colour

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.statuses)

    @property
    def attention(self) -> tuple[str, ...]:
        """Codes of the statuses that need attention, in board order."""
        return tuple(s.code for s in self.statuses if s.needs_attention)

    @property
    def colours(self) -> dict[str, str]:
        return {s.code: s.colour for s in self.statuses}

    def ordered(self, codes) -> list[str]:
        """Codes in board order; unknown ones last, alphabetically."""
        return sorted(codes, key=lambda c: (self.status(c).board_order, c))

    def threshold(self, name: str) -> float:
        return self.thresholds[name]
