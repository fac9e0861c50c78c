"""What one input column holds, counted by one DuckDB query per input (`profile_sql`).

Per column: values that look like numbers (and in which style: £, 1,234, 12k, 12,5), ISO dates,
Excel serial days or each candidate date format, subtotal rows, and the most frequent values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.load.warehouse import literal
from pipelines.mapping.conversions import number_sql
from pipelines.mapping.model import NumberFormat
from pipelines.mapping.starter.synonyms import TOTAL_WORDS

MAX_DISTINCT = 30  # an enum column with more distinct values than this is not an enum
PROFILE_ROWS = 500_000  # rows of an input whose distinct values are counted
SAMPLE_ROWS = 5_000  # rows of an input whose value shapes (numbers, date formats) are counted

# Candidate date formats in order of preference (day before month: the contract's home is GBP).
DATE_FORMATS = (
    "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%y", "%m/%d/%y", "%d-%m-%Y", "%m-%d-%Y", "%d.%m.%Y", "%d.%m.%y",
    "%Y/%m/%d", "%d %b %Y", "%d-%b-%Y", "%d-%b-%y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y",
    "%b %Y", "%B %Y", "%b-%y", "%b-%Y",
    "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%d.%m.%Y %H:%M", "%Y/%m/%d %H:%M:%S",
)
EXCEL_SERIAL = (30000, 60000)  # 1982-02-18 .. 2064-04-10 as Excel serial days


@dataclass
class ColumnProfile:
    """What one input column holds (counted by DuckDB over the input's rows)."""

    count: int = 0  # non-empty values
    distinct: int = 0
    top: list[str] = field(default_factory=list)  # up to 31 most frequent values
    plain: int = 0  # plain numbers (123, -4.5)
    number: int = 0  # numbers the engine can read with some `number:` options
    currency: str = ""  # the most frequent currency symbol
    with_currency: int = 0
    thousands: int = 0  # 1,234 style
    suffixed: int = 0  # 12k, 1.5m, 2bn
    decimal_comma: int = 0  # 12,5 style (cannot be a thousands separator)
    decimal_point: int = 0  # 12.5 style
    iso: int = 0  # ISO 8601 dates / timestamps
    serial: int = 0  # whole numbers in the Excel serial-date range
    totals: int = 0  # "Total", "Grand total": subtotal rows
    formats: dict[str, int] = field(default_factory=dict)  # strftime format → values it reads

    @property
    def date_share(self) -> float:
        if not self.count:
            return 0.0
        best = max(self.formats.values(), default=0)
        return min(1.0, (self.iso + best + self.serial) / self.count)

    @property
    def number_share(self) -> float:
        return self.number / self.count if self.count else 0.0

    def merged(self, other: ColumnProfile) -> ColumnProfile:
        """Counts of two columns together (the value columns of a wide sheet)."""
        out = ColumnProfile()
        for name in ("count", "distinct", "plain", "number", "with_currency", "thousands", "suffixed",
                     "decimal_comma", "decimal_point", "iso", "serial", "totals"):
            setattr(out, name, getattr(self, name) + getattr(other, name))
        out.currency = self.currency or other.currency
        out.formats = {f: self.formats.get(f, 0) + other.formats.get(f, 0) for f in {*self.formats, *other.formats}}
        return out


def profile_sql() -> str:
    """One query over `_profile` (text columns): per column the counts of `ColumnProfile`. Distinct
    values and subtotal rows are counted over all rows (up to PROFILE_ROWS), the shapes of the
    values (numbers, dates in each candidate format) over the first SAMPLE_ROWS."""
    any_number = number_sql("v", NumberFormat(suffixes=True), ".")
    comma_number = number_sql("v", NumberFormat(decimal=",", suffixes=True), ",")
    formats = ",\n      ".join(
        f"count(*) FILTER (WHERE year(try_strptime(v, {literal(f)})) BETWEEN 1900 AND 2200) AS f{k}"
        for k, f in enumerate(DATE_FORMATS)
    )
    totals = ", ".join(literal(w) for w in TOTAL_WORDS)
    lo, hi = EXCEL_SERIAL

    def long(rows: int) -> str:
        return (f"SELECT __name, trim(__value) AS v FROM (UNPIVOT (SELECT * FROM _profile LIMIT {rows}) "
                f"ON COLUMNS(*) INTO NAME __name VALUE __value) WHERE trim(__value) <> ''")

    return f"""
WITH counted AS (SELECT __name, v, count(*) AS n FROM ({long(PROFILE_ROWS)}) GROUP BY __name, v),
ranked AS (SELECT *, row_number() OVER (PARTITION BY __name ORDER BY n DESC, v) AS rn FROM counted),
everything AS (
    SELECT __name,
      count(*) AS "distinct",
      list(v ORDER BY v) FILTER (WHERE rn <= {MAX_DISTINCT + 1}) AS top,
      coalesce(sum(n) FILTER (WHERE lower(v) IN ({totals})), 0) AS totals
    FROM ranked GROUP BY __name
),
sample AS ({long(SAMPLE_ROWS)}),
shapes AS (
    SELECT __name,
      count(*) AS count,
      count(*) FILTER (WHERE regexp_full_match(v, '[+-]?\\d+(\\.\\d+)?')) AS plain,
      count(*) FILTER (WHERE ({any_number}) IS NOT NULL OR ({comma_number}) IS NOT NULL) AS number,
      coalesce(mode(regexp_extract(v, '[£$€¥₹]')) FILTER (WHERE regexp_matches(v, '[£$€¥₹]')), '') AS currency,
      count(*) FILTER (WHERE regexp_matches(v, '[£$€¥₹]')) AS with_currency,
      count(*) FILTER (WHERE regexp_matches(v, '\\d,\\d{{3}}([^0-9]|$)')) AS thousands,
      count(*) FILTER (WHERE regexp_full_match(v, '(?i)[(+-]?[£$€¥₹]?\\s*\\d[\\d,.]*\\s*(k|m|mn|bn|b)\\)?')) AS suffixed,
      count(*) FILTER (WHERE regexp_matches(v, '\\d,\\d{{1,2}}%?\\)?$')) AS decimal_comma,
      count(*) FILTER (WHERE regexp_matches(v, '\\d\\.\\d{{1,2}}%?\\)?$') OR regexp_matches(v, '\\d\\.\\d{{4,}}')) AS decimal_point,
      count(*) FILTER (WHERE regexp_full_match(v, '\\d{{4}}-\\d{{2}}-\\d{{2}}([ T]\\d{{2}}:\\d{{2}}.*)?')) AS iso,
      count(*) FILTER (WHERE regexp_full_match(v, '\\d{{5}}(\\.\\d+)?') AND TRY_CAST(v AS DOUBLE) BETWEEN {lo} AND {hi}) AS serial,
      {formats}
    FROM sample GROUP BY __name
)
SELECT * FROM everything LEFT JOIN shapes USING (__name)
"""


SCALAR_FIELDS = ("count", "distinct", "plain", "number", "currency", "with_currency", "thousands", "suffixed",
                  "decimal_comma", "decimal_point", "iso", "serial", "totals")
