"""Transform: the dbt project as Dagster assets and the asset checks on the marts."""
