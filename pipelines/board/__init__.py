"""Reports written from the reporting layer: benefit alerts (CSV) and the board pack (static HTML).

Dagster-free; `pipelines.defs.reports.assets` wraps it in two assets (group `reports`). Both read
`reporting.rpt_*` (dbt) and the status vocabulary (`pipelines.vocabulary`), and format with
`pipelines.formatting`; neither joins the marts nor derives a measure.

- **Alerts** (`alerts`, `reasons`) list what changed since the previous alerts run: benefits that
  newly reached a status that needs attention, projects that newly became watermelons, and
  benefits rebaselined since then. "Previous" is kept in the warehouse, `audit.alert_state` (one
  row per benefit, project and run), appended in the same short write transaction that computed
  the alerts.
- **Board pack** (`pack`, `charts`, `templates/`): one self-contained HTML file per evaluation
  month, rendered by Jinja2 templates, that opens offline (the plotly.js bundle inline once, no
  CDN, no external CSS or fonts). Totals and value at stake are in the reporting currency, other
  currencies converted at their monthly rates, never added unconverted; ids link to the
  dashboard's detail pages (`links`) when BRW_DASHBOARD_URL is set.
"""

from pipelines.board.alerts import ALERT_COLUMNS, AlertsResult, run_alerts, write_alerts_csv
from pipelines.board.pack import BoardPackResult, render_board_pack, write_board_pack

__all__ = [
    "ALERT_COLUMNS", "AlertsResult", "BoardPackResult", "render_board_pack", "run_alerts", "write_alerts_csv",
    "write_board_pack",
]
