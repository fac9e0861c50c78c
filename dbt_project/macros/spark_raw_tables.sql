{#- On the spark target only (an on-run-start hook): make source('raw', ...) resolve. Ingestion
    stays in Python and DuckDB (validation, quarantine, audit); pipelines/engine.py exports the
    validated raw.* tables as Parquet, one folder per table, into BRW_SPARK_RAW_DIR (default
    BRW_SPARK_DIR/raw), and this registers each as an external Spark table raw.<table> USING
    parquet LOCATION '<folder>' (dropping an external table never deletes its files). Every
    source of the raw schema is registered, so a new source needs no change here. -#}
{% macro spark_raw_tables() %}
    {%- if execute and target.type == 'spark' -%}
        {%- set spark_dir = env_var('BRW_SPARK_DIR', '../warehouse/spark') -%}
        {%- set raw_dir = env_var('BRW_SPARK_RAW_DIR', spark_dir ~ '/raw') -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
            {%- do run_query('drop table if exists raw.' ~ source.name) -%}
            {%- do run_query('create table raw.' ~ source.name ~ ' using parquet location '
                    ~ dbt.string_literal(raw_dir ~ '/' ~ source.name)) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
