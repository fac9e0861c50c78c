"""Metadata shown in the Dagster UI: Markdown tables of source text (file names, KPI names, owners)."""

from __future__ import annotations

from dagster import MetadataValue

from pipelines.formatting import markdown_text as md_text


def markdown_table(rows: list[tuple], header: tuple[str, ...], limit: int = 20) -> MetadataValue:
    """The first `limit` rows as a Markdown table; cells are shown as text, never as Markdown."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(md_text(v) for v in row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"… and {len(rows) - limit} more")
    return MetadataValue.md("\n".join(lines))
