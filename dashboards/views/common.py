"""What every page needs: the empty-warehouse guard and CSV downloads."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import queries


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
        f"The dashboard reads {queries.source_path()}."
    )
    return False


def download(frame: pd.DataFrame, label: str, file_name: str, key: str | None = None) -> None:
    st.download_button(
        f"Download {label} (CSV)", frame.to_csv(index=False).encode("utf-8"), file_name, "text/csv",
        key=key or f"dl_{file_name}",
    )


def table(frame: pd.DataFrame, label: str, file_name: str, **kwargs) -> None:
    """A dataframe with its CSV download underneath (every table is downloadable)."""
    st.dataframe(frame, hide_index=True, width="stretch", **kwargs)
    download(frame, label, file_name)
