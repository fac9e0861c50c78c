"""What every page needs: the empty-warehouse guard and (formula-safe) CSV downloads."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import queries
from dashboards.formatting import md
from pipelines.safe_csv import frame_to_csv_bytes


def warehouse_ready() -> bool:
    """True when a published warehouse with the marts exists; otherwise say what to do."""
    try:
        if queries.source_path().exists() and queries.has_relation("marts", "fct_benefit_status"):
            return True
    except queries.WarehouseUnavailable as exc:
        st.info(str(exc))
        return False
    st.info(
        "No warehouse has been published yet: run the pipeline first (`brw run` or `make run`). "
        f"The dashboard reads {md(str(queries.source_path()))}."  # a path's _ and * are not emphasis
    )
    return False


def no_benefits_message() -> str:
    """Why a benefits page is empty: the filters, or a warehouse without a benefits register."""
    loaded = int(queries.query("SELECT count(*) AS n FROM marts.dim_benefit")["n"].iloc[0])
    if loaded:
        return "No benefits match the filters."
    return ("This warehouse holds no benefits: its sources have no benefits register (e.g. a mapped export "
            "of projects only). Delivery health shows its projects.")


def download(frame: pd.DataFrame, label: str, file_name: str, key: str | None = None) -> None:
    """A CSV download of `frame`; text cells a spreadsheet would run as a formula are escaped
    (pipelines.safe_csv, the one CSV writer), numbers stay numbers."""
    st.download_button(
        f"Download {label} (CSV)", frame_to_csv_bytes(frame), file_name, "text/csv",
        key=key or f"dl_{file_name}",
    )


def table(frame: pd.DataFrame, label: str, file_name: str, **kwargs) -> None:
    """A dataframe with its CSV download underneath (every table is downloadable)."""
    st.dataframe(frame, hide_index=True, width="stretch", **kwargs)
    download(frame, label, file_name)
