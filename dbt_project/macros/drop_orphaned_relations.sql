{#- After a build: drop the tables and views left in this project's schemas by models that no
    longer exist (a renamed or removed model stays in the warehouse otherwise, and SQL users and
    the read copy would keep finding it). Only schemas this project's models and snapshots build
    into are looked at; raw and audit, which ingestion owns, never are. -#}
{% macro drop_orphaned_relations() %}
    {%- if execute and flags.WHICH in ('build', 'run', 'snapshot') -%}
        {%- set expected = [] -%}
        {%- set schemas = [] -%}
        {%- for node in graph.nodes.values() if node.resource_type in ('model', 'snapshot', 'seed') -%}
            {%- do expected.append((node.schema ~ '.' ~ node.alias) | lower) -%}
            {%- if node.schema | lower not in schemas -%}{%- do schemas.append(node.schema | lower) -%}{%- endif -%}
        {%- endfor -%}
        {%- for row in relations_in_schemas(schemas) -%}
            {%- if (row[0] ~ '.' ~ row[1]) | lower not in expected and not row[1].endswith('__dbt_tmp') -%}
                {%- set relation = api.Relation.create(database=target.database, schema=row[0], identifier=row[1],
                        type=('view' if row[2] == 'VIEW' else 'table')) -%}
                {{ log("dropping " ~ row[0] ~ "." ~ row[1] ~ ": no model builds it any more", info=true) }}
                {%- do adapter.drop_relation(relation) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}

{#- [schema, name, 'VIEW' or 'BASE TABLE'] of every relation in these (lower-case) schemas. -#}
{% macro relations_in_schemas(schemas) -%}
    {{ return(adapter.dispatch('relations_in_schemas')(schemas)) }}
{%- endmacro %}

{% macro default__relations_in_schemas(schemas) -%}
    {%- set found = run_query(
        "select table_schema, table_name, table_type from information_schema.tables"
        ~ " where table_catalog = '" ~ target.database ~ "'"
        ~ " and lower(table_schema) in ('" ~ schemas | join("', '") ~ "')") -%}
    {{ return(found.rows) }}
{%- endmacro %}

{#- Spark has no information_schema: SHOW TABLES per existing schema (temporary views left out). -#}
{% macro spark__relations_in_schemas(schemas) -%}
    {%- set rows = [] -%}
    {%- set existing = run_query('show schemas').columns[0].values() | map('lower') | list -%}
    {%- for schema in schemas if schema in existing -%}
        {%- for row in run_query('show tables in ' ~ schema).rows if not row[2] -%}
            {%- do rows.append([schema, row[1], 'BASE TABLE']) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(rows) }}
{%- endmacro %}
