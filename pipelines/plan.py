"""What a `brw run` has to rebuild, from what every run recorded (pipelines.build_record).

- A source whose fingerprint differs from the one its last load recorded (its file, its mapping,
  the ingestion code, a source it references), or a landing file whose size or mtime differs
  from when it was loaded (audit.loaded_files): loaded again, with everything downstream.
- A source loaded by a run that did not then build every dbt model downstream of it (a partial
  selection in the Dagster UI): those models and their dependants.
- The as-of date moved: every dbt model that reads it, and their dependants; likewise the
  reporting currency (BRW_REPORTING_CURRENCY).
- The dbt project changed: what dbt's own `state:modified+` selects against the manifest of the
  last recorded build (`dbt ls --state`), and their dependants; every model when no manifest
  was recorded or the dbt step's code changed.
- The report code changed: the alerts and the board pack; a report not made as of this date from
  the models it reads as they are: that report; likewise the read copy.

No record (a new warehouse), or `brw run --all`: everything. Nothing changed: nothing to do.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from dagster import AssetKey

from pipelines import build_record as rec
from pipelines.fingerprints import (
    LANDING_SOURCES,
    code_fingerprints,
    dbt_project_fingerprint,
    dbt_vars_fingerprint,
    landing_signatures_by_path,
    source_fingerprints,
    unloaded_files,
)
from pipelines.load.contract import SOURCES
from pipelines.settings import (
    DBT_AS_OF_ENV,
    DBT_PROJECT_DIR,
    DBT_REPORTING_CURRENCY_ENV,
    DBT_TARGET_DIR,
    DEFAULT_REPORTING_CURRENCY,
    dbt_file_log_env,
)

REPORTS = tuple(rec.REPORT_INPUTS)  # the report assets, reports/<name>
PUBLISH_KEY = AssetKey(["publish", "warehouse_read_copy"])


@dataclass
class RunPlan:
    everything: bool
    reasons: list[str]  # why, in words, for the run's first lines
    changed_sources: list[str] = field(default_factory=list)  # loaded again, and what depends on them
    unbuilt_sources: list[str] = field(default_factory=list)  # their dbt models built again
    as_of_moved: bool = False
    currency_changed: bool = False  # the reporting currency differs from the one the models were built in
    dbt_models: list[str] = field(default_factory=list)  # dbt state:modified+
    all_dbt: bool = False
    reports: list[str] = field(default_factory=list)  # the report assets to make again
    publish: bool = False
    project_as_built: tuple[str, str] | None = None  # (fingerprint, manifest): changed, dbt selects nothing
    # Incremental models rebuilt from scratch: their code, the dbt step's code or the vars changed
    # (the rows they hold were computed by other rules or have other columns).
    full_refresh: bool = False
    last_run_id: str | None = None

    @property
    def builds_dbt(self) -> bool:
        return bool(self.everything or self.changed_sources or self.unbuilt_sources or self.as_of_moved
                    or self.currency_changed or self.dbt_models or self.all_dbt)

    @property
    def nothing_to_do(self) -> bool:
        return not (self.builds_dbt or self.reports or self.publish)

    @property
    def project_changes(self) -> list[str] | None:
        """For the dbt step: the models dbt selected as changed in the project (None: none were
        selected; a project changed meanwhile is recorded as built only with every model)."""
        return sorted(self.dbt_models) if self.dbt_models and not self.everything and not self.all_dbt else None

    def dbt_model_names(self) -> set[str]:
        names = set(self.dbt_models)
        for source in self.unbuilt_sources:
            names |= rec.downstream_of_source(source)
        if self.as_of_moved:
            names |= set(rec.as_of_models())
        if self.currency_changed:
            names |= set(rec.reporting_currency_models())
        if self.all_dbt:
            names |= rec.all_models()
        return names

    def asset_keys(self, defs, dbt_assets) -> list[AssetKey] | None:
        """The assets to materialize (None: all of them)."""
        from dagster import AssetSelection
        from dagster_dbt import get_asset_key_for_model

        if self.everything:
            return None
        roots = [AssetKey(["raw", name]) for name in self.changed_sources]
        roots += [get_asset_key_for_model([dbt_assets], name) for name in sorted(self.dbt_model_names())]
        leaves = [AssetKey(["reports", name]) for name in self.reports]
        leaves += [PUBLISH_KEY] if self.publish else []
        selection = AssetSelection.assets(*roots).downstream() | AssetSelection.assets(*leaves)
        return sorted(selection.resolve(defs.resolve_asset_graph()), key=lambda k: k.to_user_string())


def dbt_command(args: list[str], warehouse: Path, as_of: date,
                reporting_currency: str = DEFAULT_REPORTING_CURRENCY) -> subprocess.CompletedProcess:
    """`dbt ARGS` on the project, through the wrapper (it dies with this process), with the run's
    warehouse and as-of date in dbt's environment only: the parse it leaves in target/ is then the
    one the build's partial parse starts from (dbt parses everything again for another profile)."""
    from pipelines.dbt_manifest import dbt_executable
    from pipelines.processes import PARENT_ENV, dbt_launcher, wrapper_args

    env = {PARENT_ENV: str(os.getpid()), "BRW_WAREHOUSE": str(warehouse), DBT_AS_OF_ENV: as_of.isoformat(),
           DBT_REPORTING_CURRENCY_ENV: reporting_currency, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           **dbt_file_log_env()}
    return subprocess.run(
        [dbt_launcher(dbt_executable(), DBT_TARGET_DIR), *wrapper_args(env), *args,
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=False,
    )


def prepare_manifest(warehouse: Path, as_of: date, reporting_currency: str = DEFAULT_REPORTING_CURRENCY) -> None:
    """`dbt parse` when the manifest is older than the project's files (pipelines.dbt_manifest)."""
    from pipelines.dbt_manifest import manifest_is_current

    if not manifest_is_current():
        proc = dbt_command(["parse", "--quiet"], warehouse, as_of, reporting_currency)
        if proc.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{proc.stdout}\n{proc.stderr}")


def state_modified(manifest: str, warehouse: Path, as_of: date,
                   reporting_currency: str = DEFAULT_REPORTING_CURRENCY) -> list[str]:
    """The models and snapshots dbt's `state:modified+` selects against `manifest` (dbt ls), and
    the models a changed data test checks (building a model runs its tests)."""
    with tempfile.TemporaryDirectory(prefix="brw-dbt-state-") as state:
        Path(state, "manifest.json").write_text(manifest)
        proc = dbt_command(["ls", "--quiet", "--output", "json", "--output-keys", "unique_id",
                            "--select", "state:modified+", "--state", state], warehouse, as_of, reporting_currency)
    if proc.returncode != 0:
        raise RuntimeError(f"dbt ls --select state:modified+ failed:\n{proc.stdout}\n{proc.stderr}")
    selected = [json.loads(line)["unique_id"] for line in proc.stdout.splitlines() if line.startswith("{")]
    return sorted(rec.models_of(selected))


def _read(warehouse: Path):
    """(record, last run, raw versions, loaded landing signatures, recorded manifest)."""
    from pipelines.load import connect
    from pipelines.load.landing import loaded_signatures

    with contextlib.closing(connect(warehouse, read_only=True)) as conn:
        record, last_run = rec.read_record(conn)
        return record, last_run, rec.raw_versions(conn, record), loaded_signatures(conn), rec.read_manifest(conn)


def plan_run(warehouse: Path, source_dir: Path, as_of: date, everything: bool = False, mapping=None,
             reporting_currency: str = DEFAULT_REPORTING_CURRENCY) -> RunPlan:
    if everything:
        return RunPlan(True, ["--all: everything"])
    if not Path(warehouse).exists():
        return RunPlan(True, ["a new warehouse: everything"])
    record, last_run, versions, loaded, manifest = _read(Path(warehouse))
    if not record:
        return RunPlan(True, ["no build recorded in audit.build_state: everything"])
    from pipelines.mapping import source_label

    plan, code = RunPlan(False, [], last_run_id=last_run), code_fingerprints()
    current = source_fingerprints(source_dir, mapping, code["load"])
    changed = [s.name for s in SOURCES if record.get(f"source:{s.name}") != current[s.name][1]]
    unloaded = {s.name: files for s in LANDING_SOURCES
                if (files := unloaded_files(landing_signatures_by_path(source_dir, mapping, s), loaded))}
    changed += [name for name in unloaded if name not in changed]
    plan.changed_sources = [s.name for s in SOURCES if s.name in changed]
    if record.get("load_code") not in (None, code["load"]):
        plan.reasons.append("the ingestion code changed: every source")
    elif changed:
        edited = [s for s in SOURCES if record.get(f"content:{s.name}") != current[s.name][0]
                  or s.name in unloaded]
        rechecked = [s for s in SOURCES if s.name in changed and s not in edited]
        if edited:
            counts = {name: f" ({len(files)} new or changed files)" for name, files in unloaded.items()}
            plan.reasons.append("changed since the last run: "
                                + ", ".join(source_label(s, mapping) + counts.get(s.name, "") for s in edited))
        if rechecked:
            plan.reasons.append("checked again against the sources they reference: "
                                + ", ".join(source_label(s, mapping) for s in rechecked))
    plan.unbuilt_sources = [s.name for s in SOURCES if s.name not in changed
                            and record.get(f"built:{s.name}") != versions[s.name]]
    if plan.unbuilt_sources:
        plan.reasons.append("loaded without a complete build of what depends on them: "
                            + ", ".join(plan.unbuilt_sources) + ": their dbt models")
    if record.get("as_of") != as_of.isoformat():
        plan.as_of_moved = True
        plan.reasons.append(f"as of moved from {record.get('as_of')} to {as_of.isoformat()}: the models that read it")
    if record.get("reporting_currency") != reporting_currency:
        plan.currency_changed = True
        plan.reasons.append(f"the reporting currency changed from {record.get('reporting_currency')} to "
                            f"{reporting_currency}: the models that convert to it")
    _plan_dbt_project(plan, record, manifest, code["transform"], Path(warehouse), as_of, reporting_currency)
    if record.get("report_code") != code["reports"]:
        plan.reports = list(REPORTS)
        plan.reasons.append("the report code changed: the alerts and the board pack")
    else:
        made = {name: rec.report_fingerprint(name, code["reports"], as_of.isoformat(), record) for name in REPORTS}
        plan.reports = [name for name in REPORTS if record.get(f"report:{name}") != made[name]]
        if plan.reports and not plan.reasons:  # else made again as what they read is rebuilt
            plan.reasons.append(f"not made as of {as_of.isoformat()} from the models as they are: "
                                + ", ".join(plan.reports))
    if plan.reports or record.get("publish") != rec.publish_fingerprint(code["publish"], record):
        plan.publish = True  # the alerts write audit.alert_state: published with them
        if not plan.reasons:
            plan.reasons.append("the read copy is not the warehouse as it is, or its code changed: published again")
    return plan


def _plan_dbt_project(plan: RunPlan, record: dict, manifest: str | None, transform: str, warehouse: Path,
                      as_of: date, reporting_currency: str = DEFAULT_REPORTING_CURRENCY) -> None:
    project = dbt_project_fingerprint()
    if record.get("transform_code") != transform:
        plan.all_dbt = plan.full_refresh = True
        plan.reasons.append("the dbt step's code changed: every dbt model, incremental ones from scratch")
    elif record.get("dbt_vars") != dbt_vars_fingerprint():
        plan.all_dbt = plan.full_refresh = True
        plan.reasons.append("the vars of dbt_project.yml changed (dbt's state:modified does not compare them): "
                            "every dbt model, incremental ones from scratch")
    elif record.get("dbt_project") == project:
        return
    elif manifest is None:
        plan.all_dbt = plan.full_refresh = True
        plan.reasons.append("the dbt project changed and no manifest of the last build was recorded: every dbt model, "
                            "incremental ones from scratch")
    else:
        plan.dbt_models = state_modified(manifest, warehouse, as_of, reporting_currency)
        if plan.dbt_models:
            count = f"{len(plan.dbt_models)} model" + ("s" if len(plan.dbt_models) > 1 else "")
            plan.reasons.append(f"the dbt project changed: dbt state:modified+ selects {count}: {', '.join(plan.dbt_models)}")
            changed_incremental = sorted(set(plan.dbt_models) & rec.incremental_models())
            if changed_incremental:
                plan.full_refresh = True
                plan.reasons.append(f"incremental models among them are rebuilt from scratch: {', '.join(changed_incremental)}")
        else:  # nothing dbt builds differs: the project as it is counts as built
            plan.project_as_built = (project, (DBT_TARGET_DIR / "manifest.json").read_text())
            plan.reasons.append("the dbt project changed, but dbt state:modified+ selects no model: recorded as built")
