"""The dbt project that dagster-dbt reads: its manifest must exist before the definitions load.

Under `dg dev` / `dagster dev` the manifest is re-parsed at load; elsewhere `make`, `brw run` and
the test session prepare it (`pipelines.dbt_manifest`).
"""

from dagster_dbt import DbtProject

from pipelines.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
