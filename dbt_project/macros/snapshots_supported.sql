{#- Whether this target can keep snapshots (snap_benefits). A dbt snapshot merges into its table:
    DuckDB can; Spark only on a table format with row-level merge (Delta, Iceberg, Hudi), which a
    plain Spark has no jars for offline, so the `spark` target's Parquet tables cannot. With
    BRW_SPARK_FILE_FORMAT=delta (a cluster or Databricks with Delta, README "Running on Spark"),
    the snapshot runs on Spark too. Without it, marts.fct_benefit_versions shows each benefit's
    current goalposts as its one version (what a first snapshot holds). -#}
{% macro snapshots_supported() -%}
    {{ return(target.type != 'spark' or spark_file_format() in ('delta', 'iceberg', 'hudi')) }}
{%- endmacro %}

{#- The file format of Spark tables (the models' file_format config): BRW_SPARK_FILE_FORMAT, default parquet. -#}
{% macro spark_file_format() -%}
    {{ return(env_var('BRW_SPARK_FILE_FORMAT', 'parquet') | lower) }}
{%- endmacro %}
