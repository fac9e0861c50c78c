"""The source mapping (pipelines.mapping): validation before loading, conversions, and the
contract's guarantees on mapped rows. Ingest only (no Dagster, no dbt): fast."""

from __future__ import annotations

import os
import textwrap
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.load import PARSE_MACROS, connect, load_source
from pipelines.load.contract import SOURCES_BY_NAME
from pipelines.mapping import MappingError, NumberFormat, date_sql, load_mapping, number_sql, validate

AS_OF = date(2026, 4, 15)

PROJECTS_HEADER = "Ref;Title;Portfolio;Sponsor;PM;Unit;Phase;Start;Finish;Budget;Ccy\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def mapping_file(folder: Path, text: str) -> Path:
    return write(folder / "sources.yml", textwrap.dedent(text))


PROJECTS_MAPPING = """\
version: 1
defaults: {date: "%d/%m/%Y"}
tables:
  projects:
    input: {file: register.csv, delimiter: ";", encoding: latin-1}
    filter: "\\"Ref\\" NOT ILIKE 'total%'"
    columns:
      project_id: Ref
      project_name: Title
      portfolio: Portfolio
      sponsor: Sponsor
      project_manager: PM
      business_unit: Unit
      stage: {column: Phase, values: {In Flight: active, Done: closed, Idea: proposed}}
      start_date: Start
      planned_end_date: Finish
      budget_at_completion: {column: Budget, number: {suffixes: true}}
      currency: {column: Ccy, values: {"£": GBP}}
"""


def load(folder: Path, name: str, conn=None, **kw):
    conn = conn or connect(folder / "w.duckdb")
    mapping = load_mapping(folder / "sources.yml")
    result = load_source(conn, SOURCES_BY_NAME[name], folder, "run-1", mapping=mapping, as_of=AS_OF, **kw)
    return conn, result


def test_a_latin1_semicolon_register_loads_with_words_mapped(tmp_path):
    write(tmp_path / "register.csv", PROJECTS_HEADER
          + "P1;Café rollout;Digital;Sam;Mo;Ops;In Flight;15/01/2024;31/12/2025;£1,234k;£\n"
          + "P2;Beta;Digital;Sam;Mo;Ops;Parked;01/02/2024;30/06/2025;12;£\n"
          + "Total;;;;;;;;;£1,246k;\n", encoding="latin-1")
    mapping_file(tmp_path, PROJECTS_MAPPING)
    conn, result = load(tmp_path, "projects")
    assert [(f.rows_read, f.rows_loaded, f.rows_quarantined, f.rows_skipped) for f in result.files] == [(2, 1, 1, 1)]
    assert conn.execute(
        "SELECT project_id, project_name, stage, start_date, planned_end_date, budget_at_completion, currency, "
        "_source_file, _row_number FROM raw.projects"
    ).fetchall() == [("P1", "Café rollout", "active", date(2024, 1, 15), date(2025, 12, 31), 1_234_000.0, "GBP",
                      "register.csv", 2)]
    row = conn.execute("SELECT source_file, row_number, reason, column_name, detail, record, source FROM audit.quarantine").fetchone()
    assert row[:4] == ("register.csv", 3, "bad_enum", "stage")
    assert row[4] == ("column stage ← 'Phase': 'Parked' is not mapped (mapped: In Flight, Done, Idea; add it under values)")
    assert '"Phase":"Parked"' in row[5] and '"Ref":"P2"' in row[5]  # the input's own record
    assert row[6] == "projects"
    # Loading again adds nothing (idempotent): the same rows and one quarantine record.
    load(tmp_path, "projects", conn)
    assert conn.execute("SELECT count(*) FROM raw.projects").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM audit.quarantine").fetchone()[0] == 1


@pytest.mark.parametrize("text, fmt, expected", [
    ("1234.5", NumberFormat(), 1234.5),
    ("£1,234.50", NumberFormat(), 1234.5),
    ("(£1,234.50)", NumberFormat(), -1234.5),
    ("57%", NumberFormat(), 0.57),
    ("1.234,5", NumberFormat(decimal=","), 1234.5),
    ("1 234,5", NumberFormat(decimal=","), 1234.5),
    ("1.001", NumberFormat(scale=1000), 1001.0),  # exact: the exponent moves, no float product
    ("2.01", NumberFormat(scale=1e6), 2_010_000.0),
    ("£1.001k", NumberFormat(suffixes=True), 1001.0),
    ("2.5bn", NumberFormat(suffixes=True), 2.5e9),
    ("1,234k", NumberFormat(), None),  # suffixes are off unless asked for
    ("abc", NumberFormat(), None),
    ("1e309", NumberFormat(), None),  # not finite
])
def test_number_parsing(text, fmt, expected):
    conn = duckdb.connect()
    conn.execute(PARSE_MACROS)
    value = conn.execute(f"SELECT {number_sql('$v', fmt, '.')}", {"v": text}).fetchone()[0]
    assert value == expected if expected is None else value == pytest.approx(expected, rel=0, abs=0)


@pytest.mark.parametrize("text, formats, expected", [
    ("2024-12-31", [], date(2024, 12, 31)),
    ("2024-12-31 00:00:00", [], date(2024, 12, 31)),  # an Excel date cell
    ("31/12/2024", ["%d/%m/%Y"], date(2024, 12, 31)),
    ("31/13/2024", ["%d/%m/%Y"], None),
    ("45657", ["excel"], date(2024, 12, 31)),
    ("Mar 2026", ["%b %Y"], date(2026, 3, 1)),
    ("12/31/2024", ["%d/%m/%Y", "%m/%d/%Y"], date(2024, 12, 31)),
])
def test_date_parsing(text, formats, expected):
    conn = duckdb.connect()
    assert conn.execute(f"SELECT {date_sql('$v', formats)}", {"v": text}).fetchone()[0] == expected


def test_wide_sheet_unpivots_and_a_bad_cell_keeps_its_row_and_column(tmp_path):
    import openpyxl

    write(tmp_path / "kpi_definitions.csv",
          "kpi_id,kpi_name,unit,aggregation,frequency,data_owner,source_system\n"
          "K1,Calls,count,sum,daily,Ann,CRM\nK2,Wait,seconds,avg,daily,Ann,CRM\n")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Daily"
    sheet.append(["Contact centre KPIs"])
    sheet.append(["Date", "Calls", "Wait"])
    sheet.append([datetime(2026, 3, 1), 120, 30.5])
    sheet.append([datetime(2026, 3, 2), None, "n/a"])  # an empty cell is no measurement
    (tmp_path / "kpi").mkdir()
    book.save(tmp_path / "kpi" / "daily.xlsx")
    mapping_file(tmp_path, """\
        tables:
          kpi_measurements:
            input: {file: "kpi/*.xlsx", sheet: Daily, header_row: 2}
            unpivot: {exclude: [Date], names_to: kpi, values_to: reading}
            columns:
              kpi_id: {column: kpi, values: {Calls: K1, Wait: K2}}
              measured_on: Date
              value: reading
              recorded_at: {file_modified: true}
        """)
    conn = connect(tmp_path / "w.duckdb")
    load_source(conn, SOURCES_BY_NAME["kpi_definitions"], tmp_path, "run-1", as_of=AS_OF)
    _, result = load(tmp_path, "kpi_measurements", conn)
    assert [(f.source_file, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in result.files] == [
        ("kpi/daily.xlsx#Daily", 3, 2, 1)]
    assert conn.execute("SELECT kpi_id, measured_on, value FROM raw.kpi_measurements ORDER BY ALL").fetchall() == [
        ("K1", date(2026, 3, 1), 120.0), ("K2", date(2026, 3, 1), 30.5)]
    recorded = conn.execute("SELECT DISTINCT recorded_at FROM raw.kpi_measurements").fetchone()[0]
    mtime = datetime.utcfromtimestamp(os.stat(tmp_path / "kpi" / "daily.xlsx").st_mtime)
    assert abs((recorded - mtime).total_seconds()) < 1e-3
    row_number, detail, record = conn.execute("SELECT row_number, detail, record FROM audit.quarantine").fetchone()
    assert row_number == 4  # the Excel row
    assert detail == "column value ← 'reading': 'n/a' is not a number; number.suffixes: true reads k, m and bn"
    assert record == '{"Date":"2026-03-02","Wait":"n/a"}'
    # Unchanged file and mapping: not read again. A changed mapping reloads it.
    _, again = load(tmp_path, "kpi_measurements", conn)
    assert again.skipped_files == ["kpi/daily.xlsx#Daily"] and not again.files
    text = (tmp_path / "sources.yml").read_text().replace("values: {Calls: K1, Wait: K2}", "values: {Calls: K1}")
    (tmp_path / "sources.yml").write_text(text)
    _, changed = load(tmp_path, "kpi_measurements", conn)
    assert [(f.rows_loaded, f.reasons) for f in changed.files] == [(1, {"bad_type": 1, "unknown_reference": 1})]


def test_one_file_feeding_two_tables_keeps_each_tables_quarantine(tmp_path):
    write(tmp_path / "export.csv", "Id,Name,Start,End\nA,Alpha,2024-01-01,2024-06-30\nB,Beta,2024-13-01,2024-06-30\n")
    mapping_file(tmp_path, """\
        tables:
          projects:
            input: {file: export.csv}
            columns:
              project_id: Id
              project_name: Name
              portfolio: {value: All}
              sponsor: {value: n/a}
              project_manager: {value: n/a}
              business_unit: {value: n/a}
              stage: {value: active}
              start_date: Start
              planned_end_date: End
              budget_at_completion: {value: 0}
              currency: {value: USD}
          milestones:
            input: {file: export.csv}
            columns:
              milestone_id: {expr: "\\"Id\\" || '-end'"}
              project_id: Id
              milestone_name: {value: End}
              is_key: {value: yes}
              baseline_date: End
        """)
    conn, projects = load(tmp_path, "projects")
    _, milestones = load(tmp_path, "milestones", conn)
    assert projects.reasons == {"bad_type": 1} and milestones.reasons == {"unknown_reference": 1}
    assert conn.execute("SELECT source, reason, row_number FROM audit.quarantine ORDER BY source").fetchall() == [
        ("milestones", "unknown_reference", 3), ("projects", "bad_type", 3)]
    load(tmp_path, "projects", conn)  # reloading projects leaves the milestones' quarantine alone
    assert conn.execute("SELECT count(*) FROM audit.quarantine").fetchone()[0] == 2


def test_absent_table_loads_empty(tmp_path):
    mapping_file(tmp_path, "tables:\n  raid_log: {absent: true}\n")
    conn, result = load(tmp_path, "raid_log")
    assert result.files == [] and conn.execute("SELECT count(*) FROM raw.raid_log").fetchone()[0] == 0


def test_derive_and_cleaning(tmp_path):
    write(tmp_path / "p.csv", "Id,Name,Start,Weeks\nA,R&amp;D   lab,2024-01-01,4\n")
    mapping_file(tmp_path, """\
        tables:
          projects:
            input: {file: p.csv, decode_html: true, collapse_spaces: true}
            derive:
              begins: try_cast("Start" AS DATE)
              finish: begins + 7 * CAST("Weeks" AS INTEGER)
            columns:
              project_id: Id
              project_name: Name
              portfolio: {value: All}
              sponsor: {value: n/a}
              project_manager: {value: n/a}
              business_unit: {value: n/a}
              stage: {value: active}
              start_date: begins
              planned_end_date: finish
              budget_at_completion: {value: 0}
              currency: {value: usd}
        """)
    conn, _ = load(tmp_path, "projects")
    assert conn.execute("SELECT project_name, start_date, planned_end_date, currency FROM raw.projects").fetchall() == [
        ("R&D lab", date(2024, 1, 1), date(2024, 1, 29), "USD")]


@pytest.mark.parametrize("yaml_text, message", [
    ("tables:\n  projets: {absent: true}\n", "projets: not a table of the source contract"),
    ("tables:\n  raid_log: {absent: true, colums: {}}\n", "tables.raid_log.colums: is not a mapping key here (a typo?)"),
    ("tables:\n  raid_log: {input: {file: x.csv}, columns: {raid_id: {column: A, value: B}}}\n",
     "give exactly one of column, value, expr or file_modified (found column, value)"),
    ("tables: [\n", "not valid YAML at line"),
])
def test_a_malformed_mapping_names_its_key(tmp_path, yaml_text, message):
    mapping_file(tmp_path, yaml_text)
    with pytest.raises(MappingError) as err:
        load_mapping(tmp_path / "sources.yml")
    assert message in str(err.value) and str(err.value).startswith("sources.yml: ")


@pytest.mark.parametrize("change, message", [
    ("project_name: Title", "sources.yml: tables.projects.columns.project_name.column: 'Titel' is not a column of "
                            "register.csv; did you mean 'Title'?"),
    ("start_date: Start", "sources.yml: tables.projects.columns.start_date.expr: Binder Error"),
    ("sponsor: Sponsor\n", "sources.yml: tables.projects.columns: required column sponsor of projects not mapped"),
    ("Done: closed", "sources.yml: tables.projects.columns.stage.values.Done: 'finished' is not one of proposed"),
    ('defaults: {date: "%d/%m/%Y"}', "sources.yml: tables.projects.columns.start_date.date: 'dd/mm/yyyy' is not a strftime format"),
])
def test_validation_fails_before_anything_is_loaded(tmp_path, change, message):
    write(tmp_path / "register.csv", PROJECTS_HEADER + "P1;A;D;S;M;U;Idea;01/01/2024;01/02/2024;1;£\n", "latin-1")
    broken = {
        "project_name: Title": PROJECTS_MAPPING.replace("project_name: Title", "project_name: Titel"),
        "start_date: Start": PROJECTS_MAPPING.replace("start_date: Start", "start_date: {expr: \"strptime(Begin)\"}"),
        "sponsor: Sponsor\n": PROJECTS_MAPPING.replace("      sponsor: Sponsor\n", ""),
        "Done: closed": PROJECTS_MAPPING.replace("Done: closed", "Done: finished"),
        'defaults: {date: "%d/%m/%Y"}': PROJECTS_MAPPING.replace('defaults: {date: "%d/%m/%Y"}', 'defaults: {date: "dd/mm/yyyy"}'),
    }[change]
    mapping_file(tmp_path, broken)
    mapping = load_mapping(tmp_path / "sources.yml")
    with pytest.raises(MappingError) as err:
        validate(duckdb.connect(), mapping, tmp_path)
    assert message in str(err.value)
    assert not (tmp_path / "w.duckdb").exists()


def test_a_value_mapped_to_null_is_empty_not_unmapped(tmp_path):
    write(tmp_path / "p.csv", "Id,Closed,Stage\nA,TBC,Live\nB,2024-05-01,Gone\n")
    mapping_file(tmp_path, """\
        tables:
          projects:
            input: {file: p.csv}
            columns:
              project_id: Id
              project_name: Id
              portfolio: {value: All}
              sponsor: {value: n/a}
              project_manager: {value: n/a}
              business_unit: {value: n/a}
              stage: {column: Stage, values: {Gone: ~}, default: active}
              start_date: {value: "2024-01-01"}
              planned_end_date: {value: "2024-12-31"}
              actual_close_date: {column: Closed, values: {TBC: ~}}
              budget_at_completion: {value: 0}
              currency: {value: USD}
        """)
    conn, result = load(tmp_path, "projects")
    assert conn.execute("SELECT project_id, stage, actual_close_date FROM raw.projects").fetchall() == [
        ("A", "active", None)]
    assert conn.execute("SELECT reason, detail FROM audit.quarantine").fetchall() == [
        ("missing_required", "column stage ← 'Stage': is required but empty")]


WIDE_KPI_MAPPING = """\
    tables:
      kpi_measurements:
        input: {file: "kpi/*.csv"}
        unpivot: {exclude: [Date], names_to: kpi, values_to: reading}
        columns:
          kpi_id: kpi
          measured_on: Date
          value: reading
          recorded_at: {file_modified: true}
    """


def test_the_sensor_watches_mapped_kpi_files_and_the_asset_loads_what_it_names(tmp_path):
    from dagster import SkipReason, build_sensor_context

    from pipelines.defs.ingest.jobs import LANDING_OP
    from pipelines.defs.resources import WarehouseResource
    from pipelines.defs.ingest.sensors import kpi_landing_sensor

    write(tmp_path / "kpi_definitions.csv", "kpi_id,kpi_name,unit,aggregation,frequency,data_owner,source_system\n"
          "K1,Calls,count,sum,daily,Ann,CRM\n")
    mapping_file(tmp_path, WIDE_KPI_MAPPING)
    resource = WarehouseResource(path=str(tmp_path / "w.duckdb"), source_dir=str(tmp_path))

    def tick(cursor):
        context = build_sensor_context(cursor=cursor, resources={"warehouse": resource})
        result = kpi_landing_sensor(context)
        if isinstance(result, SkipReason):
            return [], context.cursor
        return result.run_requests[0].run_config["ops"][LANDING_OP]["config"]["files"], result.cursor

    (tmp_path / "kpi").mkdir()
    write(tmp_path / "kpi" / "march.csv", "Date,K1\n2026-03-01,5\n")
    write(tmp_path / "kpi_measurements" / "ignored.csv", "kpi_id,measured_on,value,recorded_at\n")  # not watched
    files, cursor = tick(None)
    assert files == []  # first sight: it may still be being written
    files, cursor = tick(cursor)
    assert files == ["kpi/march.csv"]
    write(tmp_path / "kpi" / "april.csv", "Date,K1\n2026-04-01,6\n")
    tick(cursor)
    conn = connect(tmp_path / "w.duckdb")
    load_source(conn, SOURCES_BY_NAME["kpi_definitions"], tmp_path, "run-1", as_of=AS_OF)
    _, result = load(tmp_path, "kpi_measurements", conn, only_files=files)  # what the sensor named
    assert [f.source_file for f in result.files] == ["kpi/march.csv"]
    _, result = load(tmp_path, "kpi_measurements", conn)
    assert [f.source_file for f in result.files] == ["kpi/april.csv"]


def test_lineage_shows_the_mapped_file_upstream_of_its_raw_table(tmp_path):
    from dagster import AssetKey

    from pipelines.definitions import build_definitions
    from pipelines.settings import Settings

    mapping_file(tmp_path, WIDE_KPI_MAPPING)
    defs = build_definitions(Settings.resolve(tmp_path, tmp_path / "w.duckdb", "2026-04-15"))
    graph = defs.resolve_asset_graph()
    file_key = AssetKey(["source_files", "kpi_measurements"])
    assert file_key in graph.get_all_asset_keys()
    assert file_key in graph.get(AssetKey(["raw", "kpi_measurements"])).parent_keys
    assert "`kpi/*.csv`" in graph.get(file_key).description


def test_a_landing_table_declared_absent_is_read_again_when_it_returns(tmp_path):
    write(tmp_path / "kpi_definitions.csv", "kpi_id,kpi_name,unit,aggregation,frequency,data_owner,source_system\n"
          "K1,Calls,count,sum,daily,Ann,CRM\n")
    write(tmp_path / "kpi_measurements" / "a.csv", "kpi_id,measured_on,value,recorded_at\nK1,2026-03-01,5,2026-03-02\n")
    conn = connect(tmp_path / "w.duckdb")
    for name in ("kpi_definitions", "kpi_measurements"):
        load_source(conn, SOURCES_BY_NAME[name], tmp_path, "run-1", as_of=AS_OF)
    mapping_file(tmp_path, "tables:\n  kpi_measurements: {absent: true}\n")
    load(tmp_path, "kpi_measurements", conn)
    assert conn.execute("SELECT count(*) FROM raw.kpi_measurements").fetchone()[0] == 0
    (tmp_path / "sources.yml").unlink()
    result = load_source(conn, SOURCES_BY_NAME["kpi_measurements"], tmp_path, "run-3", as_of=AS_OF)
    assert [(f.source_file, f.rows_loaded) for f in result.files] == [("kpi_measurements/a.csv", 1)]
