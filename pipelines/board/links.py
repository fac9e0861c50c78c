"""The dashboard's detail pages, addressed by id: the one place their paths and query parameters
are written. The dashboard registers its pages at these paths (dashboards/app.py) and links its
lists to them; the board pack links to them on the dashboard at BRW_DASHBOARD_URL."""

from __future__ import annotations

from urllib.parse import quote

BENEFIT_PAGE = "benefit"  # ?benefit_id=… preselects the benefit
PROJECT_PAGE = "delivery-health"  # ?project_id=… opens with the project's history


def benefit_url(benefit_id, base: str = "") -> str:
    """/benefit?benefit_id=… on the dashboard at `base` (empty: a link within the dashboard)."""
    return f"{base}/{BENEFIT_PAGE}?benefit_id={quote(str(benefit_id), safe='')}"


def project_url(project_id, base: str = "") -> str:
    """/delivery-health?project_id=… on the dashboard at `base` (empty: within the dashboard)."""
    return f"{base}/{PROJECT_PAGE}?project_id={quote(str(project_id), safe='')}"
