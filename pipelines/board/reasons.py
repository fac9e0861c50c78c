"""Why an alert is raised, as the one sentence of its `reason` column.

A benefit's sentence starts with its status code and quotes the numbers behind the status rule
(SPEC section 4), chosen by the rule's stable key (marts.dim_benefit_status.status_key), so a
renamed status keeps its sentence; a threshold is quoted from the vocabulary, never restated. A
rebaselined benefit lists every changed field, old → new (marts.fct_benefit_versions).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import duckdb

from pipelines.board.files import records
from pipelines.formatting import pct, plain_value
from pipelines.vocabulary import Vocabulary

# fct_benefit_versions (snap_benefits) check columns: what a rebaseline can change, with the words used in alerts
REBASELINE_FIELDS = (
    ("baseline_value", "baseline"),
    ("baseline_start", "baseline start"),
    ("baseline_end", "baseline end"),
    ("target_value", "target"),
    ("target_date", "target date"),
    ("realization_start", "realization start"),
    ("review_until", "review until"),
    ("profile", "profile"),
)


def _off_track(row: dict, vocabulary: Vocabulary) -> str:
    return f"trailing realization {pct(row['trailing_realization_pct'])} vs {pct(row['planned_pct'])} planned"


def _eroding(row: dict, vocabulary: Vocabulary) -> str:
    return (
        f"trailing realization {pct(row['trailing_realization_pct'])}, "
        f"down from a peak of {pct(row['peak_trailing_realization_pct'])}"
    )


def _stale(row: dict, vocabulary: Vocabulary) -> str:
    last = row["last_measured_on"]
    text = f"no measurement since {plain_value(last)}" if last else "never measured"
    if row["months_since_close"] is not None:
        text += f" ({row['months_since_close']} months after project close)"
    return text


def _exceeded(row: dict, vocabulary: Vocabulary) -> str:
    tolerance = pct(vocabulary.threshold("disbenefit_exceeded_above"))
    return f"dis-benefit at {pct(row['trailing_realization_pct'])} of its planned level (tolerance {tolerance})"


# status_key (the SPEC's name of the rule) → what the reason says after the status code
_BENEFIT_SENTENCES: dict[str, Callable[[dict, Vocabulary], str]] = {
    "off_track": _off_track,
    "eroding": _eroding,
    "stale": _stale,
    "exceeded": _exceeded,
}


def benefit_reason(row: dict, vocabulary: Vocabulary) -> str:
    """`<status>: <the numbers behind it>` for a rpt_board_state benefit row (state = status)."""
    status = row["state"]
    sentence = _BENEFIT_SENTENCES.get(vocabulary.status(status).key)
    return f"{status}: {sentence(row, vocabulary)}" if sentence else status


def watermelon_reason(row: dict) -> str:
    """Why a rpt_board_state project row is red, and for how long it has been reported green."""
    reason = f"watermelon: {row['derived_rag_reasons'] or 'derived red'}"
    if row["watermelon_months"]:
        reason += f" (reported green, derived red for {row['watermelon_months']} month(s))"
    return reason


def double_counting_reason(row: dict) -> str:
    """Why a rpt_board_state KPI row alerts: its benefits claim its improvement more than once."""
    return (f"double counting: {row['claiming_benefit_ids']} claim up to {pct(row['max_claimed_attribution_pct'])} "
            "of the KPI's improvement; portfolio totals count it once (fix attribution_pct)")


def rebaseline_reason(conn: duckdb.DuckDBPyConnection, benefit_id: str, since: datetime | None) -> str:
    """Old → new of every changed field: old is the version current at `since` (else the one before)."""
    versions = records(
        conn,
        f"""SELECT {', '.join(f for f, _ in REBASELINE_FIELDS)}, valid_from, valid_to
        FROM marts.fct_benefit_versions WHERE benefit_id = ? ORDER BY version_number""",
        [benefit_id],
    )
    current = next((v for v in reversed(versions) if v["valid_to"] is None), versions[-1] if versions else None)
    if current is None:
        return "rebaselined"
    old = None
    if since is not None:
        old = next(
            (
                v for v in versions
                if v["valid_from"] <= since and (v["valid_to"] is None or v["valid_to"] > since)
            ),
            None,
        )
    if old is None or old is current:
        earlier = [v for v in versions if v["valid_from"] < current["valid_from"]]
        old = earlier[-1] if earlier else None
    if old is None:
        return "rebaselined"
    changes = [
        f"{label} {plain_value(old[f])} → {plain_value(current[f])}"
        for f, label in REBASELINE_FIELDS
        if old[f] != current[f]
    ]
    return "rebaselined: " + (", ".join(changes) if changes else "a new version with the same values")
