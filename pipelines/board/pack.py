"""The board pack: `board_pack_<yyyy-mm>.html` for the evaluation month, from the reporting layer.

Every figure is a SELECT on `reporting.rpt_*` (the rows carry the evaluation month, the status
with its label, order and tone, the measures and the project facts); the status vocabulary
(`pipelines.vocabulary`) names the attention statuses, their labels and colours. Jinja2 renders
`templates/board_pack.html.j2` with autoescape on: every value from the data is HTML-escaped
(`esc`), chart text is escaped for plotly (`charts.plot_esc`). Numbers are formatted by
`pipelines.formatting` (money in full, in each project's currency).
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from pipelines import formatting
from pipelines.board.charts import trend_figure
from pipelines.board.files import records, write_atomically
from pipelines.board.links import benefit_url, project_url
from pipelines.vocabulary import Vocabulary

STALE_RULE = "stale"  # status_key of SPEC 4 rule 4: the pack lists its benefits by owner
SUMMARY_ROWS = 10  # the executive summary's lists stop here (the detail sections have the rest)
# Where the dashboard is served (e.g. http://pmo-board:8501): benefit and project ids in the pack
# link to their detail pages there. Unset, the ids are plain text: a pack mailed around has no
# dashboard to link to.
DASHBOARD_URL_ENV = "BRW_DASHBOARD_URL"
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}")
_CSS_NAME = re.compile(r"[A-Za-z0-9_-]+")

# the evaluation month and as-of date of the data; with no valid benefit no row carries them and
# the pack is for the month before the run's as-of date ($1)
PERIOD_SQL = """
    SELECT max(evaluation_month) AS evaluation_month, coalesce(max(as_of_date), $1::DATE) AS as_of_date
    FROM reporting.rpt_project_board"""

# name → SELECT on the reporting layer; $1, where used, is the list of stale status codes
QUERIES = {
    # the executive summary: the totals in the reporting currency (rpt_portfolio_board's
    # is_reporting_total rows: the one definition of annual planned value and value at stake that
    # the dashboard and the run summary share; null where a benefit lacks a rate, never partial)
    "headline": """
        SELECT currency, sum(value_at_stake) AS value_at_stake, sum(attention_benefits) AS attention_benefits,
               sum(annual_planned_benefit) AS annual_planned_benefit,
               sum(annual_planned_disbenefit) AS annual_planned_disbenefit,
               sum(annual_planned_net) AS annual_planned_net,
               sum(cumulative_realized_value) AS cumulative_realized_value,
               sum(cumulative_planned_value) AS cumulative_planned_value,
               sum(cumulative_realized_value) / nullif(sum(cumulative_planned_value), 0) AS realized_share_of_plan,
               string_agg(over_claimed_kpi_ids, ', ' ORDER BY portfolio) AS over_claimed_kpi_ids,
               sum(benefits_without_rate) AS benefits_without_rate
        FROM reporting.rpt_portfolio_board WHERE is_reporting_total GROUP BY currency""",
    "at_stake": """
        SELECT value_at_stake_rank_reporting AS value_at_stake_rank, benefit_id, benefit_name, project_id, portfolio,
               benefit_owner, status, status_label, status_tone, shortfall_to_date_reporting AS shortfall_to_date,
               shortfall_remaining_reporting AS shortfall_remaining, value_at_stake_reporting AS value_at_stake,
               reporting_currency AS currency
        FROM reporting.rpt_benefit_board WHERE value_at_stake_rank_reporting IS NOT NULL
        ORDER BY value_at_stake_rank_reporting""",
    "changes": """
        SELECT change_kind, change_label, benefit_id, benefit_name, project_id, portfolio, benefit_owner,
               status, status_label, status_tone, status_before_label, trailing_realization_pct,
               trailing_realization_pct_before, rebaselined_at, value_at_stake_reporting AS value_at_stake,
               reporting_currency AS currency, category
        FROM reporting.rpt_benefit_changes
        ORDER BY change_order, coalesce(portfolio, ''), benefit_id""",
    "over_claimed": """
        SELECT kpi_id, kpi_name, claiming_benefit_ids, benefit_owners, portfolios, max_claimed_attribution_pct,
               first_overlap_month, last_overlap_month, over_claimed_value, currency
        FROM reporting.rpt_attribution_overlap ORDER BY kpi_id, currency""",
    "portfolio_value": """
        SELECT portfolio, currency, benefits_in_review_window, annual_planned_benefit, annual_planned_disbenefit,
               annual_planned_net, cumulative_realized_value, cumulative_planned_value, realized_share_of_plan,
               value_at_stake, over_claimed_kpi_ids, false AS is_total
        FROM reporting.rpt_portfolio_board WHERE is_reporting_total
        UNION ALL
        SELECT NULL, currency, sum(benefits_in_review_window),
               CASE WHEN sum(benefits_without_rate) = 0 THEN sum(annual_planned_benefit) END,
               CASE WHEN sum(benefits_without_rate) = 0 THEN sum(annual_planned_disbenefit) END,
               CASE WHEN sum(benefits_without_rate) = 0 THEN sum(annual_planned_net) END,
               CASE WHEN sum(benefits_without_rate) = 0 THEN sum(cumulative_realized_value) END,
               CASE WHEN sum(benefits_without_rate) = 0 THEN sum(cumulative_planned_value) END,
               CASE WHEN sum(benefits_without_rate) = 0
                    THEN sum(cumulative_realized_value) / nullif(sum(cumulative_planned_value), 0) END,
               CASE WHEN sum(benefits_without_rate) = 0 THEN sum(value_at_stake) END, NULL, true
        FROM reporting.rpt_portfolio_board WHERE is_reporting_total GROUP BY currency HAVING count(*) > 1
        ORDER BY currency NULLS LAST, is_total, portfolio""",
    "status_counts": """
        SELECT status, status_label, status_tone, count(*) AS benefits,
               count(*) / sum(count(*)) OVER () AS share
        FROM reporting.rpt_benefit_board GROUP BY ALL ORDER BY min(status_board_order), status""",
    "trend": """
        SELECT portfolio, currency, period_month, cumulative_realized_value, cumulative_planned_value
        FROM reporting.rpt_portfolio_month WHERE cumulative_planned_value IS NOT NULL AND is_reporting_total
        ORDER BY portfolio, currency, period_month""",
    "attention": """
        SELECT status, status_label, status_tone, benefit_id, benefit_name, project_id, project_name, portfolio,
               benefit_owner, trailing_realization_pct, planned_pct, last_measured_on, months_since_close,
               cumulative_realized_value, value_at_stake, currency, category
        FROM reporting.rpt_benefit_board WHERE needs_attention
        ORDER BY status_board_order, coalesce(portfolio, ''), benefit_id""",
    # the owners' check-ins for the evaluation month beside the measured status: disagreements
    # first (an owner more optimistic than the measures is the watermelon test per benefit)
    "checkins": """
        SELECT status, status_label, status_tone, benefit_id, benefit_name, project_id, portfolio, benefit_owner,
               owner_confidence, owner_confidence_label, owner_commentary, owner_checked_in_by, owner_checked_in_at,
               owner_disagrees, owner_disagreement, owner_disagreement_note
        FROM reporting.rpt_benefit_board WHERE owner_confidence IS NOT NULL
        ORDER BY list_position(['owner_more_optimistic', 'owner_more_pessimistic'], owner_disagreement) NULLS LAST,
                 status_board_order, coalesce(portfolio, ''), benefit_id""",
    "closed_projects": """
        SELECT project_id, project_name, portfolio, sponsor, actual_close_date, months_since_close, benefits,
               realized_to_date, currency
        FROM reporting.rpt_project_board WHERE stage = 'closed'
        ORDER BY actual_close_date NULLS FIRST, coalesce(portfolio, ''), project_id""",
    "closed_status_mix": """
        SELECT project_id, status, status_label, status_tone, count(*) AS benefits
        FROM reporting.rpt_benefit_board WHERE is_after_closure
        GROUP BY ALL ORDER BY project_id, min(status_board_order), status""",
    "stale_owners": """
        SELECT benefit_owner, count(*) AS benefits
        FROM reporting.rpt_benefit_board WHERE list_contains($1::VARCHAR[], status)
        GROUP BY benefit_owner ORDER BY benefits DESC, benefit_owner NULLS LAST""",
    "watermelons": """
        SELECT project_id, project_name, portfolio, sponsor, project_manager, reported_rag, derived_rag,
               watermelon_months, derived_rag_reasons
        FROM reporting.rpt_project_board WHERE is_watermelon
        ORDER BY watermelon_months DESC NULLS LAST, project_id""",
    "benefits_watermelons": """
        SELECT project_id, project_name, flagged_benefit_list
        FROM reporting.rpt_project_board WHERE is_benefits_watermelon
        ORDER BY coalesce(portfolio, ''), project_id""",
    "rag_matrix": """
        SELECT reported_rag,
               count(*) FILTER (WHERE derived_rag = 'green') AS green,
               count(*) FILTER (WHERE derived_rag = 'amber') AS amber,
               count(*) FILTER (WHERE derived_rag = 'red') AS red
        FROM reporting.rpt_project_board WHERE derived_rag IS NOT NULL
        GROUP BY reported_rag ORDER BY list_position(['green', 'amber', 'red'], reported_rag) NULLS LAST""",
    "margin": """
        SELECT project_id, project_name, currency, contract_value, planned_margin, forecast_margin,
               margin_leakage, unbilled_approved_change_cost
        FROM reporting.rpt_project_board WHERE contract_value IS NOT NULL
        ORDER BY coalesce(margin_leakage, 0) DESC, coalesce(portfolio, ''), project_id""",
}


def esc(v: Any) -> str:
    """Text from the data as HTML text or attribute value ('' for None)."""
    return html.escape("" if v is None else str(v))


def _html_value(v: Any) -> Markup:
    """Every {{ value }} of a template: our markup as it is, anything else escaped by `esc`."""
    return v if isinstance(v, Markup) else Markup(esc(v))


def _iso(v: date | None, missing: str = "") -> str:
    return v.isoformat() if v else missing


def detail_links(base_url: str | None) -> dict[str, Any]:
    """Page → id → URL of its detail page on the dashboard at `base_url` (pipelines.board.links);
    without a base URL no links (the template writes plain ids)."""
    base = (base_url or "").strip().rstrip("/")
    if not base:
        return {"benefit": lambda _id: None, "project": lambda _id: None}
    return {"benefit": lambda benefit_id: benefit_url(benefit_id, base),
            "project": lambda project_id: project_url(project_id, base)}


_TEMPLATES = Environment(
    loader=PackageLoader("pipelines.board", "templates"),
    autoescape=True,
    finalize=_html_value,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_TEMPLATES.filters.update(
    money=formatting.money, pct=formatting.pct, count=formatting.count, month=formatting.month_label, iso=_iso,
)


@dataclass
class BoardPackResult:
    path: Path
    size: int
    evaluation_month: date
    figures: int


def board_data(conn: duckdb.DuckDBPyConnection, as_of: date) -> dict:
    """What the pack shows: the period, the vocabulary and the rows of every QUERIES entry."""
    vocabulary = Vocabulary.read(conn)
    stale = [s.code for s in vocabulary.statuses if s.key == STALE_RULE]
    [period] = records(conn, PERIOD_SQL, [as_of])
    data = {name: records(conn, sql, [stale] if "$1" in sql else None) for name, sql in QUERIES.items()}
    return {**period, **data, "vocabulary": vocabulary, "stale_codes": stale}


def _status_css(vocabulary: Vocabulary) -> dict[str, str]:
    """Status code → its colour, for the stylesheet (.s-<code>); a code that is no CSS name or a
    colour that is no hex code is left out (its pill keeps the tone's colours)."""
    return {
        s.code: s.colour
        for s in vocabulary.statuses
        if _CSS_NAME.fullmatch(s.code) and _HEX_COLOUR.fullmatch(s.colour or "")
    }


def render_board_pack(data: dict) -> tuple[str, int]:
    """The pack's HTML and how many charts it has, from `board_data` (or rows shaped like it)."""
    vocabulary: Vocabulary = data["vocabulary"]
    figures = [trend_figure(data["trend"])] if data["trend"] else []
    mix: dict[str, list[str]] = {}  # project → "<status label> <benefits>" in board order
    for row in data["closed_status_mix"]:
        mix.setdefault(row["project_id"], []).append(f"{row['status_label']} {formatting.count(row['benefits'])}")
    doc = _TEMPLATES.get_template("board_pack.html.j2").render(
        data,
        title=f"Portfolio board pack — {formatting.month_label(data['evaluation_month'])}",
        attention_labels=[vocabulary.label(code) for code in vocabulary.attention],
        stale_labels=[vocabulary.label(code) for code in data["stale_codes"]],
        status_colours=_status_css(vocabulary),
        status_mix={project: ", ".join(parts) for project, parts in mix.items()},
        figures=[Markup(f) for f in figures],  # plotly's HTML, its text escaped by plot_esc
        summary_rows=SUMMARY_ROWS,
        link=detail_links(data.get("dashboard_url")),
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
    )
    return doc, len(figures)


def write_board_pack(conn: duckdb.DuckDBPyConnection, reports_dir: Path, as_of: date) -> BoardPackResult:
    """`board_pack_<yyyy-mm>.html` for the evaluation month of the reporting layer."""
    data = {**board_data(conn, as_of), "dashboard_url": os.environ.get(DASHBOARD_URL_ENV)}
    doc, figures = render_board_pack(data)
    month: date = data["evaluation_month"]
    path = Path(reports_dir) / f"board_pack_{month:%Y-%m}.html"
    write_atomically(path, lambda tmp: tmp.write_text(doc, encoding="utf-8"))
    return BoardPackResult(path, path.stat().st_size, month, figures)
