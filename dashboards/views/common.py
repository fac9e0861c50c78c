"""What every page needs: the empty-warehouse guard, (formula-safe) CSV downloads, money and
percent columns, and the status colours and board order of the reporting rows on a page."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from dashboards import queries
from dashboards.formatting import heading, md
from pipelines.formatting import MISSING
from pipelines.formatting import money as format_money
from pipelines.formatting import pct as format_pct
from pipelines.safe_csv import frame_to_csv_bytes


def warehouse_ready() -> bool:
    """True when a published warehouse with the reporting layer exists; otherwise say what to do."""
    try:
        if queries.source_path().exists() and queries.has_relation("reporting", "rpt_benefit_board"):
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
    loaded = int(queries.query(f"SELECT count(*) AS n FROM {queries.BENEFIT_BOARD}")["n"].iloc[0])
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


def table_key(file_name: str) -> str:
    """The key of a table's container (its element gets the CSS class st-key-<key>): the browser test
    finds the board's key tables by it. From the CSV's name: attention.csv → table-attention."""
    return "table-" + re.sub(r"[^A-Za-z0-9_-]+", "-", file_name.removesuffix(".csv")).strip("-")


def default_column_config(frame: pd.DataFrame, column_config: dict | None, headings: bool = True) -> dict:
    """`column_config` completed for the columns it does not name: a date as 1 Sep 2021 (a timestamp
    with a time of day as 1 Sep 2021 10:53), never 2021-09-01 00:00:00; a heading in words
    (dashboards.formatting.heading) unless `headings` is False (the SQL console shows the names
    the query gave)."""
    config = dict(column_config or {})
    for column in frame.columns:
        if column in config:
            continue
        label = heading(column) if headings else str(column)
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            values = series.dropna()
            if getattr(values.dt, "tz", None) is None and (values == values.dt.normalize()).all():
                config[column] = st.column_config.DateColumn(label, format="D MMM YYYY")
            else:
                config[column] = st.column_config.DatetimeColumn(label, format="D MMM YYYY HH:mm")
        elif headings:
            config[column] = label
    return config


def table(frame: pd.DataFrame, label: str, file_name: str, shown: pd.DataFrame | None = None,
          headings: bool = True, column_config: dict | None = None, **kwargs) -> None:
    """A dataframe with its CSV download underneath (every table is downloadable). `shown` is what
    readers see when it differs from the data (amounts as text); the CSV keeps `frame`. Columns
    without a configuration get a heading in words and dates without a time of day."""
    shown = frame if shown is None else shown
    with st.container(key=table_key(file_name)):
        st.dataframe(shown, hide_index=True, width="stretch", placeholder=MISSING,  # '–', not 'None'
                     column_config=default_column_config(shown, column_config, headings), **kwargs)
        download(frame, label, file_name)


def metric(column, label: str, value: str, context: str | None = None, help: str | None = None) -> None:
    """A headline figure with a line of context under it ("£12.70m a year planned", "96% of planned to
    date"): grey and without an arrow, so that a figure below plan never looks like a gain."""
    column.metric(label, value, delta=context, delta_color="off", delta_arrow="off", help=help)


def currency_in_use(chosen: str | None) -> str | None:
    """The currency money figures are shown in: the sidebar's one, else (all currencies, the
    default) the reporting currency of the warehouse."""
    from dashboards.queries import reporting_currency

    return chosen or reporting_currency()


def as_text(frame: pd.DataFrame, money=(), pct=(), currency: str | None = None, compact: bool = False):
    """`frame` as a table shows it: its `money` columns formatted by pipelines.formatting.money
    (£1,234,567, −£56, 1,234 CHF, '–') in `currency` or, without one, in each row's `currency`
    column; its `pct` columns by pipelines.formatting.pct (81%). The CSV keeps the numbers."""
    currencies = frame["currency"] if currency is None and money else [currency] * len(frame)
    return frame.assign(
        **{c: [format_money(v, code, compact=compact) for v, code in zip(frame[c], currencies)] for c in money},
        **{c: frame[c].map(format_pct) for c in pct},
    )


def money_column(label: str, **kwargs) -> st.column_config.TextColumn:
    """The heading of a money column shown with as_text: right-aligned like numbers."""
    return st.column_config.TextColumn(label, alignment="right", **kwargs)


def pct_column(label: str, **kwargs) -> st.column_config.TextColumn:
    """The heading of a percentage column shown with as_text: right-aligned like numbers."""
    return st.column_config.TextColumn(label, alignment="right", **{"width": 80, **kwargs})


def status_colours(frame: pd.DataFrame) -> dict[str, str]:
    """Status label → the vocabulary's colour, from reporting rows (status_label, status_colour)."""
    return dict(zip(frame["status_label"], frame["status_colour"]))


def status_labels_in_order(frame: pd.DataFrame) -> list[str]:
    """The status labels of reporting rows in board order (status_board_order)."""
    ordered = frame.drop_duplicates("status_label").sort_values("status_board_order")
    return ordered["status_label"].tolist()


def in_words(items, conjunction: str = "and") -> str:
    """['Off track', 'Eroding', 'Stale'] → 'off track, eroding or stale' (labels inside a sentence)."""
    words = [w[:1].lower() + w[1:] if w[1:2].islower() else w for w in items]
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}" if len(words) > 1 else "".join(words)


def pick_from_url(param: str, key: str, options: list) -> None:
    """Before the selectbox `key` over `options`: a value that arrives in the URL (?param=…, a link
    from another page or the board pack) selects it; the reader's own later pick wins until the URL
    brings a different one. After the widget, `keep_in_url` writes the pick back."""
    wanted = st.query_params.get(param)
    if wanted is not None and wanted in options and wanted != st.session_state.get(f"_{key}_from_url"):
        st.session_state[key] = wanted
        st.session_state[f"_{key}_from_url"] = wanted
    elif st.session_state.get(key) not in options:
        st.session_state[key] = options[0]


def keep_in_url(param: str, key: str, value) -> None:
    """The pick in the URL, so that the address shows (and shares) what the page shows."""
    st.query_params[param] = value
    st.session_state[f"_{key}_from_url"] = value
