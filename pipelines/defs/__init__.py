"""The Dagster code location by domain, autoloaded by `pipelines.definitions` (dg layout).

- `ingest/`: one asset per source file or folder into `raw.*`, their load checks, the KPI
  landing-folder sensor and the job it starts;
- `transform/`: the dbt project as assets (staging → marts) and the checks on the marts;
- `publish/`: the dashboard's read copy;
- `reports/`: benefit alerts and the board pack, the monthly board cycle;
- `jobs.py` / `schedules.py`: everything, every morning; `resources.py`: the warehouse and dbt;
  `options.py`: the run options (as-of date, full refresh) as run config.

Every asset records what it built in the warehouse (`pipelines.build_record`), whoever started
the run, so `brw run` plans from the same record (`pipelines.plan`).

The business logic is Dagster-free beside this package (`pipelines.load`, `pipelines.mapping`,
`pipelines.read_copy`, `pipelines.board`); these modules only wire it into Dagster.
"""
